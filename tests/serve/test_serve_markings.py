"""Markings: TLP levels, partner codes, ALL only with CLEAR/GREEN, the strictest of several."""

from __future__ import annotations

import pytest

from watchkeeper.errors import ConfigError
from watchkeeper.serve.markings import Marking, strictest


def test_parse_normalises() -> None:
    m = Marking.parse("amber+strict", [" usa", "JPN", "usa", ""])
    assert m == Marking("AMBER+STRICT", ("JPN", "USA"))
    assert Marking.parse("Amber_Strict", ["JPN"]).tlp == "AMBER+STRICT"


@pytest.mark.parametrize(
    ("tlp", "rel", "message"),
    [
        ("orange", ["JPN"], "TLP 'orange'"),
        ("amber", [], "rel_to is empty"),
        ("amber", ["ALL"], "ALL is only allowed"),
        ("red", ["J"], "partner code 'J'"),
        ("green", ["JP N"], "partner code"),
    ],
)
def test_parse_rejects(tlp: str, rel: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Marking.parse(tlp, rel)


def test_all_stands_alone() -> None:
    assert Marking.parse("green", ["ALL", "JPN"]).rel_to == ("ALL",)


def test_strictest() -> None:
    a = Marking("AMBER", ("JPN", "USA"))
    b = Marking("GREEN", ("ALL",))
    c = Marking("RED", ("USA",))
    assert strictest([a, b]) == Marking("AMBER", ("JPN", "USA"))
    assert strictest([a, c]) == Marking("RED", ("USA",))
    assert strictest([b]) == Marking("GREEN", ("ALL",))

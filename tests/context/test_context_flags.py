"""MID -> flag, and the ITF flags of convenience."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from watchkeeper.context.flags import flag_code, flag_name, flag_of, is_flag_of_convenience, mid_of


@pytest.mark.parametrize(
    ("mmsi", "flag"),
    [
        (445123456, "KP"),  # North Korea
        (341123456, "KN"),  # St Kitts and Nevis, not North Korea
        (374208000, "PA"),  # MAGUS
        (412000001, "CN"),
        (477000001, "HK"),
        (667000001, "SL"),
        (538000001, "MH"),
        (984451234, "KP"),  # craft associated with a DPRK parent ship
        (4451234, "KP"),  # coast station 00MIDxxxx
        (970123456, None),  # AIS-SART: no MID
        (199123456, None),  # unassigned MID
        (None, None),
        (0, None),
    ],
)
def test_flag_of(mmsi: int | None, flag: str | None) -> None:
    assert flag_of(mmsi) == flag


def test_mid_table_agrees_with_libais_mid_csv(shared_data: Path) -> None:
    """pyais's table and libais's mid.csv name the same countries for the DOMAIN.md MIDs."""
    with (shared_data / "nmea/libais/mid.csv").open() as f:
        libais = {int(r["prefix"]): r["country"] for r in csv.DictReader(f)}
    assert "Korea" in libais[445] and "Kitts" in libais[341]
    assert flag_name(445000000) is not None and "Korea" in (flag_name(445000000) or "")
    shared = [m for m in libais if flag_of(m * 1_000_000) is not None]
    assert len(shared) >= 250  # the same ITU table, give or take recent assignments
    assert mid_of(445000000) == 445


@pytest.mark.parametrize(
    ("flag", "foc"),
    [("PA", True), ("KP", True), ("kn", True), ("US", False), ("CN", False), (None, False)],
)
def test_flags_of_convenience(flag: str | None, foc: bool) -> None:
    assert is_flag_of_convenience(flag) is foc


@pytest.mark.parametrize(
    ("listed", "code"),
    [
        ("Democratic People's Republic of Korea", "KP"),
        ("Korea, North", "KP"),
        ("St. Kitts & Nevis", "KN"),
        ("Saint Kitts and Nevis", "KN"),
        ("St. Vincent and the Grenadines", "VC"),
        ("Cameroon", "CM"),
        ("PA", "PA"),
        ("None Identified", None),
        ("", None),
    ],
)
def test_a_listed_flag_spelling_gives_its_code(listed: str, code: str | None) -> None:
    assert flag_code(listed) == code

"""IMO check digit (DOMAIN.md) and parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.context.flags import flag_of
from watchkeeper.context.imo import (
    IMO_KINDS,
    US_MIDS,
    check_digit,
    hull_imo,
    imo_kind,
    is_valid_imo,
    parse_imo,
)


@pytest.mark.parametrize(
    ("imo", "valid"),
    [
        (9074729, True),  # DOMAIN.md worked example
        (9018464, True),  # FREEDOM / MAGUS
        (8705539, True),  # KUM UN SAN 3
        (8691702, True),  # YU SON
        (8916293, True),  # SAEBYOL
        (7389704, True),  # RYE SONG GANG 1
        (9074728, False),
        (15411, False),  # OFAC "IMO 15411" (BONU 5): not 7 digits
        (None, False),
        (0, False),
    ],
)
def test_is_valid_imo(imo: int | None, valid: bool) -> None:
    assert is_valid_imo(imo) is valid


@given(st.integers(min_value=100_000, max_value=999_999))
def test_exactly_one_check_digit_is_valid(six: int) -> None:
    valid = [d for d in range(10) if is_valid_imo(six * 10 + d)]
    assert valid == [check_digit(six)]


@pytest.mark.parametrize(
    ("text", "imo"),
    [
        ("IMO9018464", 9018464),
        ("IMO 9018464", 9018464),
        ("9018464", 9018464),
        ("IMO 15411", None),
        ("", None),
        (None, None),
        (12345678, None),
    ],
)
def test_parse_imo(text: str | int | None, imo: int | None) -> None:
    assert parse_imo(text) == imo


@pytest.mark.parametrize(
    ("number", "mmsi", "kind"),
    [
        # values and vessels from the NOAA 2022 sample (tests/data/README.md)
        (1317731, 368217490, "uscg_doc"),  # ANDREW MORAN, tug: Coast Guard official number
        (972768, 368071570, "uscg_doc"),  # INTRIGUE: a 6-digit (older) official number
        (1222394, 368097560, "imo"),  # DEAF SMITH: passes the check by chance, read as IMO
        (8231484, 368042470, "invalid"),  # SOPHIA GRACE: above every official number
        (7368950, 319202600, "invalid"),  # AVANTE V, Cayman Islands
        (1317731, 319202600, "invalid"),  # the same number on a non-US ship
        (959803600, 538071633, "imo_x100"),  # DEEP SEA: 9598036 with 00 appended
        (121954100, 368147620, "other"),  # UNBRIDLED: an official number with 00 appended
        (367432090, 367432090, "other"),  # R/V SUNCOASTER: its own MMSI
        (801801, 316037994, "other"),  # SEASPAN CAREEN, Canada: 6-digit official number
        (8171, 368102380, "other"),
        (9018464, 374208000, "imo"),
        (0, 368217490, "none"),
        (None, None, "none"),
    ],
)
def test_imo_kind(number: int | None, mmsi: int | None, kind: str) -> None:
    assert imo_kind(number, mmsi) == kind
    assert kind in IMO_KINDS


def test_hull_imo() -> None:
    assert hull_imo(959803600, 538071633) == 9598036
    assert hull_imo(1317731, 368217490) is None
    assert hull_imo(9018464) == 9018464


def test_every_us_mid_is_the_united_states() -> None:
    assert {flag_of(mid * 1_000_000) for mid in US_MIDS} == {"US"}

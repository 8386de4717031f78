"""IMO check digit (DOMAIN.md) and parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.assess.imo import check_digit, is_valid_imo, parse_imo


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

"""IMO ship identification numbers: parse and validate the check digit.

An IMO number is 7 digits; the last is a check digit:
``sum(d[i] * (7 - i) for i in 0..5) % 10 == d[6]`` (IMO resolution A.1078(28)).
It stays with the hull for life, unlike MMSI and call sign, so a valid IMO is the strongest
identifier a vessel carries; a number failing the check is a typo or a fraud.

>>> is_valid_imo(9074729)
True
>>> is_valid_imo(9074728)
False
>>> parse_imo("IMO9018464")
9018464
"""

from __future__ import annotations

import functools
import re

__all__ = ["check_digit", "is_valid_imo", "parse_imo"]

_DIGITS = re.compile(r"(?<!\d)(\d{7})(?!\d)")


def check_digit(six: int) -> int:
    """The check digit of the first six digits ``six`` (0..999999)."""
    digits = f"{six:06d}"
    return sum(int(d) * (7 - i) for i, d in enumerate(digits)) % 10


@functools.lru_cache(maxsize=1 << 16)
def is_valid_imo(imo: int | None) -> bool:
    """Whether ``imo`` is a 7-digit number whose last digit is its check digit."""
    if imo is None or not 1_000_000 <= imo <= 9_999_999:
        return False
    return check_digit(imo // 10) == imo % 10


def parse_imo(text: str | int | None) -> int | None:
    """The 7-digit number in ``text`` ('IMO 9018464', 'IMO9018464', '9018464'), else None.

    The check digit is *not* enforced here: invalid numbers are evidence too (see
    :func:`is_valid_imo`).
    """
    if text is None:
        return None
    if isinstance(text, int):
        return text if 1_000_000 <= text <= 9_999_999 else None
    found = _DIGITS.search(text)
    return int(found.group(1)) if found else None

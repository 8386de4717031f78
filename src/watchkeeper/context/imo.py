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

What else lands in the IMO field (:func:`imo_kind`): US-flag vessels write their US Coast
Guard official (documentation) number there, a 6- or 7-digit serial that has no check digit,
so nine in ten fail the IMO check without anything being wrong; some transponders append two
zeros to a valid IMO (``959803600`` for ``9598036``); MMSIs and other serials fill the rest.

>>> imo_kind(1317731, 368217490), imo_kind(9074728, 368217490), imo_kind(959803600, 538071633)
('uscg_doc', 'invalid', 'imo_x100')
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "IMO_KINDS",
    "USCG_DOC_MAX",
    "USCG_DOC_MIN",
    "US_MIDS",
    "check_digit",
    "hull_imo",
    "imo_kind",
    "imo_label",
    "is_valid_imo",
    "parse_imo",
]

#: What a number in the IMO field is (:func:`imo_kind`).
IMO_KINDS = ("none", "imo", "imo_x100", "uscg_doc", "invalid", "other")
#: Maritime Identification Digits of the United States and its territories (ITU-R M.585
#: table, pyais ``COUNTRY_MAPPING``): 303 Alaska, 338 and 366-369 USA. Puerto Rico (358) and
#: the US Virgin Islands (379) have MIDs of their own and are left out.
US_MIDS = frozenset({303, 338, 366, 367, 368, 369})
# US Coast Guard official numbers are serials: 6 digits (from 100000) until the early 1990s,
# then 7 digits from 1000000; the newest seen in the NOAA 2022 sample is 1427288 and the
# register was near 1.33 million in 2022, so no official number reaches 2000000. A failing
# 7-digit number at or above it on a US ship (8231484, 9841112 in that sample) is an IMO
# number with a wrong digit, not a documentation number.
USCG_DOC_MIN = 100_000
USCG_DOC_MAX = 1_999_999

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


def _mid(mmsi: int | None) -> int | None:
    """The first three digits of a 9-digit ship-station MMSI, else None."""
    return mmsi // 1_000_000 if mmsi is not None and 100_000_000 <= mmsi <= 999_999_999 else None


def imo_kind(number: int | None, mmsi: int | None = None) -> str:
    """What ``number`` in the IMO field of vessel ``mmsi`` is, one of :data:`IMO_KINDS`.

    ``none``: missing or 0 ("not available"). ``imo``: 7 digits with a valid check digit.
    ``uscg_doc``: a US-flag vessel (:data:`US_MIDS`) with a 6-7 digit number below
    :data:`USCG_DOC_MAX` that fails the check: its Coast Guard official number. ``imo_x100``:
    9 digits ending ``00`` whose first 7 are a valid IMO (a transponder artefact).
    ``invalid``: 7 digits failing the check otherwise (a typo or a fraud). ``other``: any
    other number (an MMSI, a national serial): no IMO attempt.

    >>> imo_kind(0), imo_kind(9074729), imo_kind(9074728), imo_kind(801801, 316037994)
    ('none', 'imo', 'invalid', 'other')
    """
    if not number:
        return "none"
    if is_valid_imo(number):
        return "imo"
    if _mid(mmsi) in US_MIDS and USCG_DOC_MIN <= number <= USCG_DOC_MAX:
        return "uscg_doc"
    if 100_000_000 <= number <= 999_999_999 and number % 100 == 0 and is_valid_imo(number // 100):
        return "imo_x100"
    return "invalid" if 1_000_000 <= number <= 9_999_999 else "other"


def hull_imo(number: int | None, mmsi: int | None = None) -> int | None:
    """The IMO number ``number`` stands for (``imo`` and ``imo_x100`` kinds), else None.

    >>> hull_imo(9074729), hull_imo(907472900), hull_imo(1317731, 368217490)
    (9074729, 9074729, None)
    """
    kind = imo_kind(number, mmsi)
    if kind == "imo":
        return number
    return number // 100 if kind == "imo_x100" and number is not None else None


def imo_label(number: int | None, mmsi: int | None = None) -> str:
    """The IMO field as a person should read it: the number, with what it is when it is no
    IMO (``uscg_doc`` "USCG", ``imo_x100`` the IMO it stands for, ``invalid`` "invalid").

    >>> imo_label(1317731, 368217490), imo_label(959803600), imo_label(None)
    ('1317731 (USCG)', '959803600 (IMO 9598036)', '')
    """
    kind = imo_kind(number, mmsi)
    if kind == "none":
        return ""
    labels = {"uscg_doc": "USCG", "invalid": "invalid", "other": "not an IMO"}
    if kind == "imo_x100" and number is not None:
        return f"{number} (IMO {number // 100})"
    return f"{number} ({labels[kind]})" if kind in labels else str(number)

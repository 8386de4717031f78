"""Flag state of a vessel from its MMSI (ITU Maritime Identification Digits) and FOC registries.

The MID table is pyais's ``COUNTRY_MAPPING`` (ITU-R M.585 Annex, MID -> ISO 3166 alpha-2), so
it is not duplicated here. North Korea is MID 445 ("KP"); 341 is St Kitts and Nevis ("KN").

Flags of convenience: the International Transport Workers' Federation list
(https://www.itfglobal.org/en/sector/seafarers/flags-of-convenience, as published 2023).
Second registers that share their country's MID (French FIS, German GIS, Madeira MAR) cannot
be told apart from AIS and are left out; Bermuda, Cayman, Gibraltar, Faroe and Cook Islands
are kept as ISO codes of their own.
"""

from __future__ import annotations

from pyais.constants import COUNTRY_MAPPING

__all__ = [
    "DPRK_MID",
    "FLAGS_OF_CONVENIENCE",
    "flag_code",
    "flag_name",
    "flag_of",
    "is_flag_of_convenience",
    "mid_of",
]

DPRK_MID = 445

# ITF flags of convenience (ISO 3166-1 alpha-2), source in the module docstring.
FLAGS_OF_CONVENIENCE: frozenset[str] = frozenset(
    {
        "AG",  # Antigua and Barbuda
        "BS",  # Bahamas
        "BB",  # Barbados
        "BZ",  # Belize
        "BM",  # Bermuda (UK)
        "BO",  # Bolivia
        "KH",  # Cambodia
        "CM",  # Cameroon
        "KY",  # Cayman Islands (UK)
        "KM",  # Comoros
        "CK",  # Cook Islands
        "CW",  # Curacao
        "CY",  # Cyprus
        "GQ",  # Equatorial Guinea
        "FO",  # Faroe Islands
        "GE",  # Georgia
        "GI",  # Gibraltar (UK)
        "HN",  # Honduras
        "JM",  # Jamaica
        "LB",  # Lebanon
        "LR",  # Liberia
        "MT",  # Malta
        "MH",  # Marshall Islands
        "MU",  # Mauritius
        "MD",  # Moldova
        "MN",  # Mongolia
        "MM",  # Myanmar
        "KP",  # North Korea
        "PW",  # Palau
        "PA",  # Panama
        "ST",  # Sao Tome and Principe
        "KN",  # St Kitts and Nevis
        "VC",  # St Vincent and the Grenadines
        "SL",  # Sierra Leone
        "LK",  # Sri Lanka
        "TZ",  # Tanzania (Zanzibar)
        "TG",  # Togo
        "TO",  # Tonga
        "VU",  # Vanuatu
    }
)


def mid_of(mmsi: int | None) -> int | None:
    """The MID of a ship-station MMSI, also for the derived formats of ITU-R M.585.

    ``MIDxxxxxx`` ship, ``0MIDxxxxx`` group, ``00MIDxxxx`` coast station, ``8MIDxxxxx``
    handheld, ``98MIDxxxx`` craft with a parent ship, ``99MIDxxxx`` aid to navigation,
    ``111MIDxxx`` SAR aircraft. ``970``/``972``/``974`` (SART, MOB, EPIRB) carry no MID.

    >>> mid_of(445123456), mid_of(4451234), mid_of(984451234), mid_of(970123456)
    (445, 445, 445, None)
    """
    if mmsi is None or not 0 < mmsi <= 999_999_999:
        return None
    s = f"{mmsi:09d}"
    if s.startswith(("970", "972", "974")):
        return None
    if s.startswith("111"):
        mid = s[3:6]
    elif s.startswith(("98", "99", "00")):
        mid = s[2:5]
    elif s[0] in "08":
        mid = s[1:4]
    else:
        mid = s[:3]
    return int(mid)


def flag_of(mmsi: int | None) -> str | None:
    """ISO 3166 alpha-2 code of the flag the MMSI claims, or None if the MID is unassigned."""
    mid = mid_of(mmsi)
    if mid is None or mid not in COUNTRY_MAPPING:
        return None
    code: str = COUNTRY_MAPPING[mid][0]
    return code


def flag_name(mmsi: int | None) -> str | None:
    """Country name of the flag the MMSI claims (pyais spelling), or None."""
    mid = mid_of(mmsi)
    if mid is None or mid not in COUNTRY_MAPPING:
        return None
    name: str = COUNTRY_MAPPING[mid][1]
    return name


def _key(name: str) -> str:
    """A country name reduced for comparison: lower case, letters only, "saint" as "st",
    "and" and "the" dropped ("St. Kitts & Nevis", "Saint Kitts and Nevis", "St Kitts Nevis")."""
    words = "".join(c if c.isalnum() else " " for c in name.lower()).split()
    words = ["st" if w == "saint" else w for w in words if w not in ("and", "the")]
    return "".join(words)


#: Spellings the sanctions lists use that pyais spells otherwise.
_ALIASES = {
    "democraticpeoplesrepublicofkorea": "KP",
    "northkorea": "KP",
    "koreanorth": "KP",
    "dprk": "KP",
    "southkorea": "KR",
    "republicofkorea": "KR",
    "koreasouth": "KR",
    "iranislamicrepublicof": "IR",
    "russianfederation": "RU",
    "unitedrepublicoftanzania": "TZ",
    "vietnam": "VN",
}
_BY_NAME = {_key(name): code for code, name in COUNTRY_MAPPING.values()} | _ALIASES


def flag_code(flag: str | None) -> str | None:
    """ISO 3166 alpha-2 code of a flag as a list spells it (a name or a code), or None.

    >>> flag_code("Democratic People's Republic of Korea"), flag_code("St. Kitts & Nevis")
    ('KP', 'KN')
    >>> flag_code("St. Vincent and the Grenadines")
    'VC'

    >>> flag_code("Cameroon"), flag_code("pa"), flag_code("None Identified")
    ('CM', 'PA', None)
    """
    if not flag:
        return None
    text = flag.strip()
    codes = {code for code, _ in COUNTRY_MAPPING.values()}
    if len(text) == 2 and text.upper() in codes:
        return text.upper()
    return _BY_NAME.get(_key(text))


def is_flag_of_convenience(flag: str | None) -> bool:
    """Whether ISO code ``flag`` is on the ITF flags-of-convenience list."""
    return flag is not None and flag.upper() in FLAGS_OF_CONVENIENCE

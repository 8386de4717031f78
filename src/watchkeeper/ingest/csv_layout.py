"""CSV dialects: which header column holds which canonical field.

MarineCadastre (NOAA/BOEM) has published the same AIS data under two headers:

* classic (2009-2023 zip files)::

    MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,
    Length,Width,Draft,Cargo,TransceiverClass

* snake_case (``csv2`` Zstandard files, 2024 on; longitude comes before latitude)::

    mmsi,base_date_time,longitude,latitude,sog,cog,heading,vessel_name,imo,call_sign,
    vessel_type,status,length,width,draft,cargo,transceiver

Header names are compared after folding case and dropping everything but letters and digits,
so both dialects (and most exports of other providers) resolve through one alias table. Any
other CSV works with a user mapping of canonical name to header, e.g.
``{"mmsi": "ship_id", "ts": "time", "lat": "y", "lon": "x"}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watchkeeper.errors import ConfigError, FormatError

__all__ = [
    "CANONICAL",
    "MARINECADASTRE_HEADER",
    "REQUIRED",
    "CsvLayout",
    "detect_delimiter",
    "resolve_layout",
]

#: MarineCadastre's exact 17-column header (the classic dialect), also what we write.
MARINECADASTRE_HEADER = (
    "MMSI",
    "BaseDateTime",
    "LAT",
    "LON",
    "SOG",
    "COG",
    "Heading",
    "VesselName",
    "IMO",
    "CallSign",
    "VesselType",
    "Status",
    "Length",
    "Width",
    "Draft",
    "Cargo",
    "TransceiverClass",
)

#: Canonical field -> known header names (folded: lower case, letters and digits only).
_ALIASES: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi", "shipid", "userid", "ssvid"),
    "ts": (
        "basedatetime",
        "ts",
        "timestamp",
        "time",
        "datetime",
        "datetimeutc",
        "timestamputc",
        "postime",
        "msgtime",
    ),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "long", "lng", "longitude", "x"),
    "sog_kn": ("sog", "sogkn", "speed", "speedoverground"),
    "cog_deg": ("cog", "cogdeg", "course", "courseoverground"),
    "heading_deg": ("heading", "headingdeg", "trueheading", "hdg"),
    "nav_status": ("status", "navstatus", "navigationalstatus", "navigationstatus"),
    "ais_class": ("transceiverclass", "transceiver", "aisclass", "class"),
    "name": ("vesselname", "name", "shipname"),
    "imo": ("imo", "imonumber", "imonr"),
    "callsign": ("callsign",),
    "ship_type": ("vesseltype", "shiptype", "shipandcargotype"),
    "length_m": ("length", "lengthm"),
    "beam_m": ("width", "beam", "beamm", "widthm"),
    "draught_m": ("draft", "draught", "draughtm", "draftm"),
    "destination": ("destination",),
    "eta": ("eta",),
}

#: Every canonical field a CSV column can feed, in output order.
CANONICAL = tuple(_ALIASES)

#: Fields without which a row cannot be a position.
REQUIRED = ("mmsi", "ts", "lat", "lon")

#: Short names users type in a mapping, accepted as keys for the canonical field.
_KEY_ALIASES = {
    "sog": "sog_kn",
    "cog": "cog_deg",
    "heading": "heading_deg",
    "status": "nav_status",
    "length": "length_m",
    "beam": "beam_m",
    "width": "beam_m",
    "draught": "draught_m",
    "draft": "draught_m",
    "vessel_type": "ship_type",
    "time": "ts",
}

_FOLD = re.compile(r"[^0-9a-z]")


def _fold(name: str) -> str:
    return _FOLD.sub("", name.strip().strip('"').lower())


@dataclass(frozen=True)
class CsvLayout:
    """A resolved header: the delimiter, the header names and canonical field -> column index."""

    delimiter: str
    header: tuple[str, ...]
    index: Mapping[str, int]

    @property
    def n_fields(self) -> int:
        """How many fields a well-formed row has."""
        return len(self.header)


def detect_delimiter(header_line: str) -> str:
    """The delimiter of a header line: ',' unless ';', tab or '|' is clearly meant."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _split_header(line: str, delimiter: str) -> tuple[str, ...]:
    return tuple(h.strip().strip('"').strip() for h in line.lstrip("\ufeff").split(delimiter))


def _canonical_key(key: str) -> str:
    canon = _KEY_ALIASES.get(key, key)
    if canon not in _ALIASES:
        raise ConfigError(f"unknown column mapping key {key!r}; use one of: {', '.join(CANONICAL)}")
    return canon


def _auto_index(header: Sequence[str]) -> dict[str, int]:
    folded = [_fold(h) for h in header]
    index: dict[str, int] = {}
    for canon, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in folded:
                index[canon] = folded.index(alias)
                break
    return index


def _user_index(header: Sequence[str], columns: Mapping[str, str]) -> dict[str, int]:
    exact = {h: i for i, h in enumerate(header)}
    folded = {_fold(h): i for i, h in enumerate(header)}
    index: dict[str, int] = {}
    for key, name in columns.items():
        canon = _canonical_key(key)
        i = exact.get(name, folded.get(_fold(name)))
        if i is None:
            raise FormatError(
                f"column mapping {key}={name!r}: no such column; the header has {', '.join(header)}"
            )
        index[canon] = i
    return index


def resolve_layout(header_line: str, columns: Mapping[str, str] | None = None) -> CsvLayout:
    """Resolve a header line (and an optional user mapping) into a :class:`CsvLayout`.

    >>> resolve_layout("MMSI,BaseDateTime,LAT,LON").index["ts"]
    1
    >>> resolve_layout("ship_id;time;y;x", {"mmsi": "ship_id"}).delimiter
    ';'
    """
    delimiter = detect_delimiter(header_line)
    header = _split_header(header_line, delimiter)
    index = _auto_index(header)
    if columns:
        index.update(_user_index(header, columns))
    missing = [f for f in REQUIRED if f not in index]
    if missing:
        raise FormatError(
            f"CSV header lacks required column(s) {', '.join(missing)}; found "
            f"{', '.join(header) or 'nothing'}; needed mmsi, ts, lat, lon "
            "(MarineCadastre names are recognised; map others with columns="
            '{"mmsi": "<header>", "ts": "<header>", ...} or --columns).'
        )
    return CsvLayout(delimiter=delimiter, header=header, index=index)

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from watchkeeper.errors import ConfigError, FormatError
from watchkeeper.ingest.layouts import (
    TS_FORMATS,
    ColumnSpec,
    Layout,
    detect_layout,
    fold,
    get_layout,
    parse_column_spec,
)

__all__ = [
    "CANONICAL",
    "MARINECADASTRE_HEADER",
    "REQUIRED",
    "CsvLayout",
    "detect_delimiter",
    "resolve_header",
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

_fold = fold


@dataclass(frozen=True)
class CsvLayout:
    """A resolved header: delimiter, header names, canonical field -> column index.

    ``extra`` lists further columns added to a field (``A+B``), ``factor`` its scaling
    (``SPEED/10``), ``ts_format`` a strptime format for non-ISO times, ``name`` the preset.
    """

    delimiter: str
    header: tuple[str, ...]
    index: Mapping[str, int]
    extra: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    factor: Mapping[str, float] = field(default_factory=dict)
    ts_format: str | None = None
    name: str = "generic"

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


@dataclass
class _Mapping:
    """Field -> columns and scaling, as it is built up (generic names, preset, user)."""

    header: tuple[str, ...]
    index: dict[str, int]
    extra: dict[str, tuple[int, ...]] = field(default_factory=dict)
    factor: dict[str, float] = field(default_factory=dict)

    def find(self, name: str) -> int | None:
        """The column called ``name`` (exactly, else compared loosely)."""
        for i, h in enumerate(self.header):
            if h == name:
                return i
        folded = [_fold(h) for h in self.header]
        key = _fold(name)
        return folded.index(key) if key in folded else None

    def set(self, canon: str, spec: ColumnSpec) -> bool:
        """Map ``canon`` per ``spec`` if all its columns exist; False (unchanged) if not."""
        if spec.ignored:
            self.index.pop(canon, None)
            self.extra.pop(canon, None)
            self.factor.pop(canon, None)
            return True
        cols = [self.find(h) for h in spec.headers]
        if any(c is None for c in cols):
            return False
        found = [c for c in cols if c is not None]
        self.index[canon] = found[0]
        self.extra.pop(canon, None)
        self.factor.pop(canon, None)
        if len(found) > 1:
            self.extra[canon] = tuple(found[1:])
        if spec.factor != 1.0:
            self.factor[canon] = spec.factor
        return True


def _apply_preset(m: _Mapping, preset: Layout) -> None:
    for canon, specs in preset.fields.items():
        for spec in specs:
            if m.set(canon, parse_column_spec(spec)):
                break


def _apply_user(m: _Mapping, columns: Mapping[str, str]) -> None:
    for key, value in columns.items():
        canon = _canonical_key(key)
        if not m.set(canon, parse_column_spec(value)):
            raise FormatError(
                f"column mapping {key}={value!r}: no such column; the header has "
                f"{', '.join(m.header)}"
            )


def resolve_header(
    header: Sequence[str],
    *,
    delimiter: str = ",",
    columns: Mapping[str, str] | None = None,
    layout: str | None = None,
) -> CsvLayout:
    """Resolve header names, a preset (``layout``, else detected) and a user mapping.

    Generic names are matched first, then the preset's columns, then ``columns``; later
    ones win. Raises FormatError when mmsi, ts, lat or lon stays unmapped.

    >>> resolve_header(["MMSI", "SPEED_KNOTSx10", "TIMESTAMP", "LAT", "LON"]).factor
    {'sog_kn': 0.1}
    """
    header = tuple(header)
    preset = get_layout(layout) if layout else detect_layout(header)
    m = _Mapping(header, _auto_index(header))
    if preset is not None:
        _apply_preset(m, preset)
    if columns:
        _apply_user(m, columns)
    missing = [f for f in REQUIRED if f not in m.index]
    if missing:
        raise FormatError(
            f"header lacks required column(s) {', '.join(missing)}; found "
            f"{', '.join(header) or 'nothing'}; needed mmsi, ts, lat, lon. Known provider "
            "layouts are recognised (list them with `watchkeeper layouts`, force one with "
            "--layout); map others with --columns mmsi=<header>,ts=<header>,... "
            "(or columns={...} in Python)."
        )
    ts_format = preset.ts_format if preset is not None else None
    ts_format = TS_FORMATS.get(_fold(header[m.index["ts"]]), ts_format)
    return CsvLayout(
        delimiter=delimiter,
        header=header,
        index=m.index,
        extra=m.extra,
        factor=m.factor,
        ts_format=ts_format,
        name=preset.name if preset is not None else "generic",
    )


def resolve_layout(
    header_line: str, columns: Mapping[str, str] | None = None, layout: str | None = None
) -> CsvLayout:
    """Resolve a CSV header line (delimiter sniffed) into a :class:`CsvLayout`.

    >>> resolve_layout("MMSI,BaseDateTime,LAT,LON").index["ts"]
    1
    >>> resolve_layout("ship_id;time;y;x", {"mmsi": "ship_id"}).delimiter
    ';'
    """
    delimiter = detect_delimiter(header_line)
    header = _split_header(header_line, delimiter)
    return resolve_header(header, delimiter=delimiter, columns=columns, layout=layout)

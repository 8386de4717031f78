"""Provider layouts: named column presets for CSV and JSON AIS exports, and ``--columns``.

Each preset says which source column feeds which canonical field (``mmsi``, ``ts``, ``lat``,
``lon``, ``sog_kn``, ...), with the scaling the provider uses (MarineTraffic writes speed in
tenths of a knot) and where the column names come from. A header is matched to the preset
whose distinctive columns it holds (:func:`detect_layout`); ``--layout NAME`` forces one.

Column specs (presets and ``--columns`` share the grammar)::

    HEADER            the column as is
    HEADER/10         divided by 10 (HEADER*0.1 multiplies)
    A+B               the sum of two columns (AIS dimensions: length = A + B)
    -                 ignore: the field is left empty even if a column would match

Text ship types (``Tanker``, ``Cargo``) are read as ITU-R M.1371 type codes and text
navigational statuses (``At anchor``) as status codes, so every layout gives the same values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from watchkeeper.errors import ConfigError

__all__ = [
    "IGNORE",
    "NAV_STATUS_CODES",
    "PRESETS",
    "SHIP_TYPE_CODES",
    "TS_FORMATS",
    "ColumnSpec",
    "Layout",
    "detect_layout",
    "fold",
    "get_layout",
    "parse_column_spec",
    "parse_columns_option",
]

#: The column spec that leaves a field empty.
IGNORE = "-"

_FOLD = re.compile(r"[^0-9a-z]")


def fold(name: str) -> str:
    """A header name compared loosely: lower case, letters and digits only (``# Timestamp``
    and ``timestamp`` are one name)."""
    return _FOLD.sub("", name.strip().strip('"').lower())


@dataclass(frozen=True)
class ColumnSpec:
    """Where one canonical field comes from: the sum of ``headers``, times ``factor``."""

    headers: tuple[str, ...]
    factor: float = 1.0

    @property
    def ignored(self) -> bool:
        """The field is deliberately left empty."""
        return not self.headers


_SCALE = re.compile(r"^(?P<head>.+?)\s*(?P<op>[/*])\s*(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


def parse_column_spec(spec: str) -> ColumnSpec:
    """Parse ``HEADER``, ``HEADER/10``, ``HEADER*0.1``, ``A+B`` or ``-``.

    >>> parse_column_spec("SPEED_KNOTSx10/10")
    ColumnSpec(headers=('SPEED_KNOTSx10',), factor=0.1)
    >>> parse_column_spec("A+B").headers
    ('A', 'B')
    """
    spec = spec.strip()
    if spec == IGNORE:
        return ColumnSpec(())
    factor = 1.0
    if m := _SCALE.match(spec):
        num = float(m["num"])
        if num == 0:
            raise ConfigError(f"column spec {spec!r}: cannot scale by zero")
        factor = 1 / num if m["op"] == "/" else num
        spec = m["head"]
    headers = tuple(h.strip() for h in spec.split("+"))
    if not all(headers):
        raise ConfigError(f"column spec {spec!r}: empty header name")
    return ColumnSpec(headers, factor)


def parse_columns_option(items: Sequence[str] | None) -> dict[str, str] | None:
    """``--columns`` values (repeatable, comma-separated ``field=spec``) as a mapping.

    >>> parse_columns_option(["sog_kn=SPEED_KNOTSx10/10,ship_type=-"])
    {'sog_kn': 'SPEED_KNOTSx10/10', 'ship_type': '-'}
    """
    if not items:
        return None
    out: dict[str, str] = {}
    for item in ",".join(items).split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(
                f"--columns expects field=HEADER pairs (HEADER/10 scales, A+B adds, - ignores), "
                f"got {item!r}"
            )
        parse_column_spec(value)  # fail early on a bad spec
        out[key.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class Layout:
    """A named provider layout.

    ``fields`` maps canonical fields to candidate specs, the first whose columns are all in
    the header wins (providers renamed columns over the years). Auto-detection needs every
    folded name of ``detect`` and, when given, one of ``any_of``; more hits = more specific.
    """

    name: str
    title: str
    source: str  # where the column names are documented
    kind: Literal["csv", "json", "any"]
    fields: Mapping[str, tuple[str, ...]]
    detect: tuple[str, ...]
    ts_format: str | None = None  # strptime format when times are not ISO 8601
    notes: str = ""
    any_of: tuple[str, ...] = ()  # folded names of which one must be present


_MARINECADASTRE = Layout(
    name="marinecadastre",
    title="NOAA/BOEM MarineCadastre AIS (2015-2017, 2018-2023 and 2024+ csv2 headers)",
    source="https://coast.noaa.gov/htdata/CMSP/AISDataHandler/ (AIS data dictionary); "
    "2015-2017 files lack TransceiverClass, 2024+ files use snake_case",
    kind="csv",
    fields={
        "mmsi": ("MMSI", "mmsi"),
        "ts": ("BaseDateTime", "base_date_time"),
        "lat": ("LAT", "latitude"),
        "lon": ("LON", "longitude"),
        "sog_kn": ("SOG",),
        "cog_deg": ("COG",),
        "heading_deg": ("Heading",),
        "name": ("VesselName", "vessel_name"),
        "imo": ("IMO",),
        "callsign": ("CallSign", "call_sign"),
        "ship_type": ("VesselType", "vessel_type"),
        "nav_status": ("Status",),
        "length_m": ("Length",),
        "beam_m": ("Width",),
        "draught_m": ("Draft",),
        "ais_class": ("TransceiverClass", "transceiver"),
    },
    detect=("mmsi",),
    notes="detected by BaseDateTime or base_date_time",
    any_of=("basedatetime",),
)

_MARINETRAFFIC = Layout(
    name="marinetraffic",
    title="MarineTraffic export / API (PS06 extended): speed and draught in tenths",
    source="https://servicedocs.marinetraffic.com/ (Vessel Positions PS06: SPEED knots x10, "
    "DRAUGHT metres x10); web exports name them SPEED_KNOTSx10, DRAUGHT_METERSx10",
    kind="any",
    fields={
        "mmsi": ("MMSI",),
        "ts": ("TIMESTAMP", "TIMESTAMP_UTC"),
        "lat": ("LAT",),
        "lon": ("LON",),
        "sog_kn": ("SPEED_KNOTSx10/10", "SPEED/10"),
        "cog_deg": ("COURSE",),
        "heading_deg": ("HEADING",),
        "nav_status": ("STATUS", "NAVSTAT"),
        "name": ("SHIPNAME", "VESSEL_NAME"),
        "imo": ("IMO",),
        "callsign": ("CALLSIGN",),
        "ship_type": ("VESSEL_TYPE", "AIS_TYPE_SUMMARY", "TYPE_NAME"),
        "length_m": ("LENGTH",),
        "beam_m": ("WIDTH",),
        "draught_m": ("DRAUGHT_METERSx10/10", "DRAUGHT/10"),
        "destination": ("DESTINATION",),
        "eta": ("ETA",),
    },
    detect=("mmsi", "lat", "lon"),
    notes="detected by SHIP_ID, SPEED_KNOTSx10 or DRAUGHT_METERSx10; SHIPTYPE is "
    "MarineTraffic's own category, not an AIS code, so the text type columns are used",
    any_of=("shipid", "speedknotsx10", "draughtmetersx10"),
)

_SPIRE = Layout(
    name="spire",
    title="Spire Maritime combined data extract (CSV)",
    source="https://documentation.spire.com/combined-data-extracts/",
    kind="any",
    fields={
        "mmsi": ("mmsi",),
        "ts": ("timestamp",),
        "lat": ("latitude",),
        "lon": ("longitude",),
        "sog_kn": ("speed",),
        "cog_deg": ("course",),
        "heading_deg": ("heading",),
        "nav_status": ("status",),
        "name": ("name",),
        "imo": ("imo",),
        "callsign": ("callsign", "call_sign"),
        "ship_type": ("ship_type",),
        "length_m": ("length",),
        "beam_m": ("width",),
        "draught_m": ("draught",),
        "destination": ("destination",),
        "eta": ("eta",),
    },
    detect=("mmsi", "timestamp", "latitude", "longitude"),
    notes="detected by static_updated_at (or created_at) beside timestamp",
    any_of=("staticupdatedat", "createdat"),
)

_EXACTEARTH = Layout(
    name="exactearth",
    title="exactEarth / ORBCOMM-era exactAIS GWS (LVI, HVP) CSV, now Spire GWS",
    source="https://documentation.spire.com/latest-vessel-information-lvi/ and "
    "https://documentation.spire.com/?p=118 (HVP schema: ts_pos_utc, dt_pos_utc, ...)",
    kind="any",
    fields={
        "mmsi": ("mmsi",),
        "ts": ("dt_pos_utc", "ts_pos_utc"),
        "lat": ("latitude",),
        "lon": ("longitude",),
        "sog_kn": ("sog",),
        "cog_deg": ("cog",),
        "heading_deg": ("heading",),
        "nav_status": ("nav_status_code", "nav_status"),
        "name": ("vessel_name",),
        "imo": ("imo",),
        "callsign": ("callsign",),
        "ship_type": ("vessel_type_code", "vessel_type"),
        "length_m": ("length",),
        "beam_m": ("width",),
        "draught_m": ("draught",),
        "destination": ("destination",),
        "eta": ("eta",),
    },
    detect=("mmsi", "latitude", "longitude"),
    notes="detected by dt_pos_utc or ts_pos_utc; ts_pos_utc (YYYYMMDDhhmmss) is read when "
    "dt_pos_utc is absent",
    any_of=("dtposutc", "tsposutc"),
)

_AISHUB = Layout(
    name="aishub",
    title="AISHub web service, human-readable format (CSV or JSON)",
    source="https://www.aishub.net/api (output=csv|json, format=1: TIME in UTC, LONGITUDE/"
    "LATITUDE in degrees, A+B = length, C+D = width)",
    kind="any",
    fields={
        "mmsi": ("MMSI",),
        "ts": ("TIME",),
        "lat": ("LATITUDE",),
        "lon": ("LONGITUDE",),
        "sog_kn": ("SOG",),
        "cog_deg": ("COG",),
        "heading_deg": ("HEADING",),
        "nav_status": ("NAVSTAT",),
        "name": ("NAME",),
        "imo": ("IMO",),
        "callsign": ("CALLSIGN",),
        "ship_type": ("TYPE",),
        "length_m": ("A+B",),
        "beam_m": ("C+D",),
        "draught_m": ("DRAUGHT",),
        "destination": ("DEST",),
        "eta": ("ETA",),
    },
    detect=("mmsi", "time", "latitude", "longitude", "navstat"),
    notes="the AIS-encoded format (format=0: 1/10000 minute, tenths) needs --columns scaling",
)

_AISDK = Layout(
    name="aisdk",
    title="Danish Maritime Authority aisdk daily CSV",
    source="http://web.ais.dk/aisdata/ (column list in the archive's readme: # Timestamp, "
    "Type of mobile, MMSI, Latitude, Longitude, Navigational status, ROT, SOG, COG, "
    "Heading, IMO, Callsign, Name, Ship type, Cargo type, Width, Length, ...)",
    kind="csv",
    fields={
        "mmsi": ("MMSI",),
        "ts": ("# Timestamp", "Timestamp"),
        "lat": ("Latitude",),
        "lon": ("Longitude",),
        "sog_kn": ("SOG",),
        "cog_deg": ("COG",),
        "heading_deg": ("Heading",),
        "nav_status": ("Navigational status",),
        "name": ("Name",),
        "imo": ("IMO",),
        "callsign": ("Callsign",),
        "ship_type": ("Ship type",),
        "length_m": ("Length",),
        "beam_m": ("Width",),
        "draught_m": ("Draught",),
        "destination": ("Destination",),
        "eta": ("ETA",),
        "ais_class": ("Type of mobile",),
    },
    detect=("timestamp", "typeofmobile", "mmsi", "latitude", "longitude"),
    ts_format="%d/%m/%Y %H:%M:%S",
    notes="times are day first (31/12/2015 23:59:59); ship types and statuses are text",
)

_GFW = Layout(
    name="gfw",
    title="Global Fishing Watch AIS messages / tracks (CSV or JSON lines)",
    source="https://github.com/GlobalFishingWatch/gpsdio-segment (tests/data: ssvid, lat, "
    "lon, timestamp, speed, course) and GFW's pipe messages tables (ssvid, shipname, "
    "callsign, imo, shiptype, heading)",
    kind="any",
    fields={
        "mmsi": ("ssvid", "mmsi"),
        "ts": ("timestamp",),
        "lat": ("lat",),
        "lon": ("lon",),
        "sog_kn": ("speed",),
        "cog_deg": ("course",),
        "heading_deg": ("heading",),
        "nav_status": ("status",),
        "name": ("shipname",),
        "imo": ("imo",),
        "callsign": ("callsign",),
        "ship_type": ("shiptype",),
        "length_m": ("length",),
        "beam_m": ("width",),
        "destination": ("destination",),
    },
    detect=("ssvid", "timestamp", "lat", "lon"),
    notes="ssvid is the MMSI as broadcast",
)

#: Every preset by name, in the order ``watchkeeper layouts`` lists them.
PRESETS: dict[str, Layout] = {
    p.name: p for p in (_MARINECADASTRE, _MARINETRAFFIC, _SPIRE, _EXACTEARTH, _AISHUB, _AISDK, _GFW)
}


def get_layout(name: str) -> Layout:
    """The preset called ``name`` (case-insensitive); ConfigError lists the known ones."""
    layout = PRESETS.get(name.strip().lower())
    if layout is None:
        raise ConfigError(f"unknown layout {name!r}; known layouts: {', '.join(PRESETS)}")
    return layout


def _matches(layout: Layout, folded: set[str]) -> int:
    """How specific a match ``layout`` is for a header (0: no match)."""
    if not all(d in folded for d in layout.detect):
        return 0
    hits = sum(a in folded for a in layout.any_of)
    if layout.any_of and not hits:
        return 0
    return len(layout.detect) + hits


def detect_layout(header: Sequence[str]) -> Layout | None:
    """The preset that fits a header best, or None (then generic names are matched).

    >>> detect_layout(["MMSI", "TIME", "LONGITUDE", "LATITUDE", "NAVSTAT"]).name
    'aishub'
    """
    folded = {fold(h) for h in header}
    scored = [(_matches(p, folded), p) for p in PRESETS.values()]
    best = max(scored, key=lambda sp: sp[0])
    return best[1] if best[0] > 0 else None


#: Time columns with a fixed compact format rather than ISO 8601 (exactAIS ts_pos_utc).
TS_FORMATS: dict[str, str] = {"tsposutc": "%Y%m%d%H%M%S", "tsstaticutc": "%Y%m%d%H%M%S"}

#: ITU-R M.1371-5 table 53 (type of ship and cargo): the first digit is the kind of ship
#: (2x WIG, 4x high-speed craft, 6x passenger, 7x cargo, 8x tanker, 9x other), 30-37 and
#: 50-59 are special craft. Text types of provider exports map to the code of their kind.
SHIP_TYPE_CODES: dict[str, int] = {
    "wig": 20,
    "wing in ground": 20,
    "fishing": 30,
    "towing": 31,
    "towing long/wide": 32,
    "towing (large)": 32,
    "dredging": 33,
    "dredging or underwater ops": 33,
    "diving": 34,
    "diving ops": 34,
    "military": 35,
    "military ops": 35,
    "sailing": 36,
    "sailing vessel": 36,
    "pleasure": 37,
    "pleasure craft": 37,
    "yacht": 37,
    "high speed craft": 40,
    "hsc": 40,
    "pilot": 50,
    "pilot vessel": 50,
    "search and rescue": 51,
    "sar": 51,
    "tug": 52,
    "port tender": 53,
    "anti-pollution": 54,
    "anti-pollution equipment": 54,
    "law enforcement": 55,
    "medical": 58,
    "medical transport": 58,
    "not party to conflict": 59,
    "passenger": 60,
    "passengers": 60,
    "cargo": 70,
    "tanker": 80,
    "tankers": 80,
    "other": 90,
    "other type": 90,
    "undefined": 0,
    "unknown": 0,
    "not available": 0,
}

#: ITU-R M.1371-5 table 45 (navigational status), as text exports (aisdk) write it.
NAV_STATUS_CODES: dict[str, int] = {
    "under way using engine": 0,
    "at anchor": 1,
    "not under command": 2,
    "restricted manoeuverability": 3,
    "restricted maneuverability": 3,
    "restricted manoeuvrability": 3,
    "constrained by her draught": 4,
    "moored": 5,
    "aground": 6,
    "engaged in fishing": 7,
    "under way sailing": 8,
    "reserved for future amendment [hsc]": 9,
    "reserved for future amendment [wig]": 10,
    "power-driven vessel towing astern": 11,
    "power-driven vessel pushing ahead or towing alongside": 12,
    "ais-sart": 14,
    "ais-sart is active": 14,
    "unknown value": 15,
    "undefined": 15,
    "not defined": 15,
}

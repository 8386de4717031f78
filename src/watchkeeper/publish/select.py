"""Choosing events for triage and export: by type, vessel, risk, time and area, sorted.

One pure function over the events table, used by ``watchkeeper events`` and
``watchkeeper export events`` (and by anyone from Python), so that what an analyst looked at on
the terminal is what goes into the file sent to a partner or a TAK server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import ConfigError

__all__ = [
    "SORTS",
    "EventFilter",
    "VesselFilter",
    "parse_bbox",
    "round_meaning",
    "select_events",
    "select_vessels",
]

#: Sort orders: the time an event started (oldest first), or the most serious first.
SORTS = ("start", "risk", "confidence")


@dataclass(frozen=True)
class EventFilter:
    """Which events to keep; every given condition must hold (empty: no condition)."""

    types: Sequence[str] = ()
    mmsis: Sequence[int] = ()  # either side of a pair
    min_risk: float | None = None  # the event's own risk (0-100)
    since: datetime | None = None  # the event is going on at or after this time
    until: datetime | None = None  # ... and began before this one
    bbox: tuple[float, float, float, float] | None = None  # lon0, lat0, lon1, lat1
    sort: str = "start"

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ConfigError(f"sort must be one of {', '.join(SORTS)}, got {self.sort!r}")
        if self.since and self.until and self.since >= self.until:
            raise ConfigError("--since must be before --until")


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``lon0,lat0,lon1,lat1`` (the OGC order) as four floats, checked.

    >>> parse_bbox("120,25,130,40")
    (120.0, 25.0, 130.0, 40.0)
    """
    try:
        lon0, lat0, lon1, lat1 = (float(x) for x in text.split(","))
    except ValueError:
        raise ConfigError(f"--bbox takes lon0,lat0,lon1,lat1, got {text!r}") from None
    if not (-90 <= lat0 < lat1 <= 90 and -180 <= lon0 <= 180 and -180 <= lon1 <= 180):
        raise ConfigError(
            f"--bbox {text!r}: latitudes -90..90 (south < north), longitudes -180..180"
        )
    return lon0, lat0, lon1, lat1


def select_events(events: pa.Table, f: EventFilter) -> pa.Table:
    """The events of ``events`` that pass ``f``, in its order (ties by start, then id).

    A ``bbox`` whose west edge is east of its east edge crosses the antimeridian.
    """
    keep = pa.array([True] * events.num_rows, pa.bool_())
    if f.types:
        keep = pc.and_(keep, pc.is_in(events.column("type"), pa.array(list(f.types))))
    if f.mmsis:
        wanted = pa.array(list(f.mmsis), pa.int64())
        side = pc.or_(
            pc.is_in(events.column("mmsi"), wanted),
            pc.fill_null(pc.is_in(events.column("other_mmsi"), wanted), False),
        )
        keep = pc.and_(keep, side)
    if f.min_risk is not None:
        risk = pc.fill_null(events.column("risk"), 0.0)
        keep = pc.and_(keep, pc.greater_equal(risk, f.min_risk))
    if f.since is not None:  # still going on (open end) or ended at or after since
        end = events.column("end")
        keep = pc.and_(keep, pc.or_kleene(pc.is_null(end), pc.greater_equal(end, f.since)))
    if f.until is not None:
        keep = pc.and_(keep, pc.less(events.column("start"), f.until))
    if f.bbox is not None:
        keep = pc.and_(keep, _in_bbox(events, f.bbox))
    out = events.filter(keep)
    order = [("start", "ascending"), ("event_id", "ascending")]
    if f.sort != "start":
        order.insert(0, (f.sort, "descending"))
    return out.sort_by(order)


def _in_bbox(events: pa.Table, bbox: tuple[float, float, float, float]) -> pa.ChunkedArray:
    lon0, lat0, lon1, lat1 = bbox
    lat, lon = events.column("lat"), events.column("lon")
    ns = pc.and_(pc.greater_equal(lat, lat0), pc.less_equal(lat, lat1))
    east, west = pc.greater_equal(lon, lon0), pc.less_equal(lon, lon1)
    ew = pc.and_(east, west) if lon0 <= lon1 else pc.or_(east, west)
    return pc.fill_null(pc.and_(ns, ew), False)


@dataclass(frozen=True)
class VesselFilter:
    """Which vessels to keep (the vessels table, with ``lat``/``lon`` of the last position
    for ``bbox``); every given condition must hold."""

    mmsis: Sequence[int] = ()
    min_risk: float | None = None
    since: datetime | None = None  # seen at or after this time (last_seen)
    until: datetime | None = None  # ... and before this one (first_seen)
    bbox: tuple[float, float, float, float] | None = None  # of the last position


def select_vessels(vessels: pa.Table, f: VesselFilter) -> pa.Table:
    """The vessels that pass ``f``, in the table's order (riskiest first)."""
    keep = pa.array([True] * vessels.num_rows, pa.bool_())
    if f.mmsis:
        keep = pc.and_(keep, pc.is_in(vessels.column("mmsi"), pa.array(list(f.mmsis), pa.int64())))
    if f.min_risk is not None:
        risk = pc.fill_null(vessels.column("risk"), 0.0)
        keep = pc.and_(keep, pc.greater_equal(risk, f.min_risk))
    if f.since is not None:
        keep = pc.and_(
            keep, pc.fill_null(pc.greater_equal(vessels.column("last_seen"), f.since), False)
        )
    if f.until is not None:
        keep = pc.and_(keep, pc.fill_null(pc.less(vessels.column("first_seen"), f.until), False))
    if f.bbox is not None:
        if "lat" not in vessels.column_names:
            raise ConfigError("--bbox needs the vessels' last positions")
        keep = pc.and_(keep, _in_bbox(vessels, f.bbox))
    return vessels.filter(keep)


#: Decimals a number is written with: what it means, not what float32 stores. Risk is a
#: 0-100 score (1 decimal), confidence a probability (2), coordinates 5 decimals (1.1 m).
MEANING = {"risk": 1, "confidence": 2, "lat": 5, "lon": 5}


def round_meaning(table: pa.Table) -> pa.Table:
    """``table`` with risk, confidence and coordinates rounded to :data:`MEANING` and any
    other float32 column as float64 rounded to 4 decimals (no float32 noise anywhere)."""
    for i, field in enumerate(table.schema):
        digits = MEANING.get(field.name)
        if digits is None and not pa.types.is_float32(field.type):
            continue
        if not pa.types.is_floating(field.type):
            continue
        col = pc.round(pc.cast(table.column(i), pa.float64()), 4 if digits is None else digits)
        table = table.set_column(i, pa.field(field.name, pa.float64()), col)
    return table

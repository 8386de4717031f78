"""Anchorages and berths learned from the data: spots where ships sit still for hours.

Port lists give one point per port; ships wait at anchorages 10-25 km off that point and tie
up at berths no list names (a ferry terminal, a marina, a fishing harbour). GFW learns
anchorages as cells where >= 20 distinct vessels stayed > 12 h over years of data; a user
may load one day. Two rules make them work on one day (both on cells of ``cell_deg``):

- **several vessels**: at least ``min_vessels`` distinct vessels each stayed
  ``min_stay_h`` slow (< ``stop_kn``) in the cell or one of its 8 neighbours (a harbour that
  straddles a cell edge still counts whole);
- **one vessel again and again**: one vessel stopped in the cell on ``min_visits`` separate
  calls (each at least ``min_visit_h`` slow, the calls separated by sailing at
  ``sail_kn`` or more), ``min_stay_h`` in total: a ferry's terminal, a work boat's berth.
  A ship swinging at anchor never reaches ``sail_kn``, so a lone ship's long stop is not
  turned into a "place" that would hide it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from watchkeeper.context.ports import places_table
from watchkeeper.errors import ConfigError

__all__ = [
    "AnchorageParams",
    "BerthCalls",
    "berth_calls",
    "berth_places",
    "crowd_places",
    "learn_anchorages",
    "learn_berths",
    "places_of",
    "stop_cells",
]


@dataclass(frozen=True)
class AnchorageParams:
    """What makes a place an anchorage or a berth."""

    # GFW anchorages: a vessel is stopped below 0.2 kn and moving again above 0.5 kn.
    stop_kn: float = 0.5
    # Cell size in degrees (~2 km): wide enough for a ship swinging on its anchor chain.
    cell_deg: float = 0.02
    # A vessel counts when it stayed this long in the cell (GFW: 12 h over a year of data;
    # shorter here because users load days, not years).
    min_stay_h: float = 4.0
    # Distinct vessels needed (GFW: 20 over a year). Four keeps a pair in an STS, or a pair
    # with a tender, from turning their own meeting into an "anchorage".
    min_vessels: int = 4
    # One vessel again and again: three calls (a ferry's day has 10-20 at each terminal;
    # two could be an out-and-back), each two 10-minute slices long (a ferry turns round in
    # 20-40 min), separated by sailing (a harbour speed limit is 5-8 kn; swinging at anchor
    # stays below 1 kn).
    min_visits: int = 3
    min_visit_h: float = 1.0 / 3.0
    sail_kn: float = 5.0  # a harbour speed limit (5-8 kn); swinging at anchor stays < 1 kn

    def __post_init__(self) -> None:
        if self.min_vessels < 2 or self.min_stay_h <= 0 or self.cell_deg <= 0:
            raise ConfigError("min_vessels >= 2, min_stay_h > 0 and cell_deg > 0 required")
        if self.min_visits < 2 or self.min_visit_h <= 0 or self.sail_kn <= self.stop_kn:
            raise ConfigError("min_visits >= 2, min_visit_h > 0, sail_kn > stop_kn required")


_CELLS_SQL = """
SELECT floor(lat / $cell)::BIGINT AS cy, floor(lon / $cell)::BIGINT AS cx, mmsi,
       min(epoch(ts)) AS t0, max(epoch(ts)) AS t1, sum(lat) AS slat, sum(lon) AS slon,
       count(*) AS n
FROM pos WHERE sog_kn < $stop GROUP BY ALL
"""

_CROWD_SQL = """
WITH stayed AS (
    SELECT cy, cx, mmsi, sum(slat) / sum(n) AS lat, sum(slon) / sum(n) AS lon
    FROM cells GROUP BY cy, cx, mmsi HAVING max(t1) - min(t0) >= $stay
), block AS (
    SELECT c.cy, c.cx, count(DISTINCT n.mmsi) AS n_vessels
    FROM (SELECT DISTINCT cy, cx FROM stayed) c
    JOIN stayed n ON n.cy BETWEEN c.cy - 1 AND c.cy + 1 AND n.cx BETWEEN c.cx - 1 AND c.cx + 1
    GROUP BY c.cy, c.cx
)
SELECT avg(s.lat) AS lat, avg(s.lon) AS lon,
       'learned:' || b.n_vessels || ' vessels stayed' AS why
FROM block b JOIN stayed s USING (cy, cx)
WHERE b.n_vessels >= $nmin GROUP BY b.cy, b.cx, b.n_vessels
"""

_CALLS_SQL = """
WITH p AS (
    SELECT mmsi, epoch(ts) AS t, lat, lon, sog_kn,
           floor(lat / $cell)::BIGINT AS cy, floor(lon / $cell)::BIGINT AS cx,
           sum(CASE WHEN sog_kn >= $sail THEN 1 ELSE 0 END)
               OVER (PARTITION BY mmsi ORDER BY ts ROWS UNBOUNDED PRECEDING) AS trip
    FROM pos
)
SELECT cy, cx, mmsi, trip, min(t) AS t0, max(t) AS t1, sum(lat) AS slat, sum(lon) AS slon,
       count(*) AS n
FROM p WHERE sog_kn < $stop GROUP BY ALL
"""

_SAILS_SQL = """
SELECT mmsi, sum(CASE WHEN sog_kn >= $sail THEN 1 ELSE 0 END)::BIGINT AS sails
FROM pos GROUP BY mmsi
"""

# Parts in time order: a call's trip number is its part's own number plus the sailing
# positions of the same vessel in every earlier part, as one pass over the whole run counts.
_BERTH_SQL = """
WITH offset_of AS (
    SELECT part, mmsi,
           coalesce(sum(sails) OVER (PARTITION BY mmsi ORDER BY part
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS o
    FROM sails
), calls AS (
    SELECT c.cy, c.cx, c.mmsi, c.trip + coalesce(f.o, 0) AS trip,
           max(c.t1) - min(c.t0) AS stay_s, sum(c.slat) / sum(c.n) AS lat,
           sum(c.slon) / sum(c.n) AS lon
    FROM cells c LEFT JOIN offset_of f USING (part, mmsi)
    GROUP BY ALL HAVING max(c.t1) - min(c.t0) >= $visit
)
SELECT avg(lat) AS lat, avg(lon) AS lon,
       'learned:berth, one vessel called ' || count(*) || ' times' AS why
FROM calls GROUP BY cy, cx, mmsi
HAVING count(*) >= $ncalls AND sum(stay_s) >= $stay
"""


def _query(sql: str, name: str, table: pa.Table, args: dict[str, float]) -> pa.Table:
    con = duckdb.connect()
    try:
        con.register(name, table)
        return con.sql(sql, params=args).to_arrow_table()
    finally:
        con.close()


def stop_cells(positions: pa.Table, params: AnchorageParams = AnchorageParams()) -> pa.Table:
    """Partial aggregates of the stopped positions per (cell, vessel): first and last stop time,
    sums of coordinates. Aggregates of separate windows merge exactly (:func:`crowd_places`)."""
    pos = positions.select(["mmsi", "ts", "lat", "lon", "sog_kn"])
    return _query(_CELLS_SQL, "pos", pos, {"cell": params.cell_deg, "stop": params.stop_kn})


def crowd_places(
    cells: Sequence[pa.Table], params: AnchorageParams = AnchorageParams()
) -> pa.Table:
    """The "several vessels" rule over the :func:`stop_cells` of every window (lat, lon, why)."""
    parts = [c for c in cells if c.num_rows]
    if not parts:
        return _EMPTY
    args = {"stay": params.min_stay_h * 3600.0, "nmin": params.min_vessels}
    return _query(_CROWD_SQL, "cells", pa.concat_tables(parts), args)


@dataclass(frozen=True)
class BerthCalls:
    """Partial aggregates of one part of the data (a window's own days) for the berth rule:
    the stopped positions per (cell, vessel, trip of the part) and each vessel's sailing
    positions in the part. Parts merge exactly (:func:`berth_places`)."""

    calls: pa.Table
    sails: pa.Table


def berth_calls(positions: pa.Table, params: AnchorageParams = AnchorageParams()) -> BerthCalls:
    """The :class:`BerthCalls` of ``positions``."""
    pos = positions.select(["mmsi", "ts", "lat", "lon", "sog_kn"])
    args = {"cell": params.cell_deg, "stop": params.stop_kn, "sail": params.sail_kn}
    calls = _query(_CALLS_SQL, "pos", pos, args)
    sails = _query(_SAILS_SQL, "pos", pos, {"sail": params.sail_kn})
    return BerthCalls(calls, sails)


def berth_places(
    parts: Sequence[BerthCalls], params: AnchorageParams = AnchorageParams()
) -> pa.Table:
    """The "one vessel again and again" rule over ``parts`` in time order (lat, lon, why):
    the same places as :func:`learn_berths` over the parts' positions together."""
    calls = [_with_part(p.calls, i) for i, p in enumerate(parts) if p.calls.num_rows]
    if not calls:
        return _EMPTY
    sails = pa.concat_tables([_with_part(p.sails, i) for i, p in enumerate(parts)])
    args = {
        "stay": params.min_stay_h * 3600.0,
        "visit": params.min_visit_h * 3600.0,
        "ncalls": params.min_visits,
    }
    con = duckdb.connect()
    try:
        con.register("cells", pa.concat_tables(calls))
        con.register("sails", sails)
        return con.sql(_BERTH_SQL, params=args).to_arrow_table()
    finally:
        con.close()


def _with_part(table: pa.Table, part: int) -> pa.Table:
    return table.append_column("part", pa.array([part] * table.num_rows, pa.int32()))


def learn_berths(positions: pa.Table, params: AnchorageParams = AnchorageParams()) -> pa.Table:
    """The "one vessel again and again" rule over ``positions`` (lat, lon, why)."""
    return berth_places([berth_calls(positions, params)], params)


_EMPTY = pa.table(
    {
        "lat": pa.array([], pa.float64()),
        "lon": pa.array([], pa.float64()),
        "why": pa.array([], pa.string()),
    }
)


# Learned positions are rounded to 1e-9 degrees (0.1 mm): means over positions that a
# parallel scan sums in varying order differ in the last bits from run to run, and the
# same input must give the same bytes out.
_DIGITS = 9


def places_of(found: Sequence[pa.Table]) -> pa.Table:
    """A ``PLACES`` table (kind 'anchorage', sorted by position, named by position) of
    :func:`crowd_places` and :func:`learn_berths` results."""
    rows = sorted(
        (round(r["lat"], _DIGITS), round(r["lon"], _DIGITS), r["why"])
        for t in found
        for r in t.cast(_EMPTY.schema).to_pylist()
    )
    return places_table(
        [
            {"name": _name(lat, lon), "lat": lat, "lon": lon} | {"kind": "anchorage", "source": why}
            for lat, lon, why in rows
        ]
    )


def _name(lat: float, lon: float) -> str:
    """A learned place's name: its position (the same place keeps its name from run to run,
    whatever else was learned; 3 decimals is 110 m, within a cell)."""
    ns, ew = "N" if lat >= 0 else "S", "E" if lon >= 0 else "W"
    return f"learned place {abs(lat):.3f}{ns} {abs(lon):.3f}{ew}"


def learn_anchorages(positions: pa.Table, params: AnchorageParams = AnchorageParams()) -> pa.Table:
    """Anchorages and berths (a ``PLACES`` table, kind 'anchorage') found in ``positions``."""
    crowd = crowd_places([stop_cells(positions, params)], params)
    return places_of([crowd, learn_berths(positions, params)])

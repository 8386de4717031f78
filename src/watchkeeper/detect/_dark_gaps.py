"""Gaps of the dark-STS detector: where each silence began and ended, how fast the vessel
sails, its courses into and out of the silence, and the reception evidence (other vessels heard
nearby while it was silent). See :mod:`.dark_sts` for the definition that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.detect._track import Cols, count_per_gap
from watchkeeper.detect.ais_gap import find_gaps
from watchkeeper.tracks.geo import M_PER_NM, bearing_deg, haversine_m

if TYPE_CHECKING:
    from watchkeeper.context.ports import PlaceIndex
    from watchkeeper.detect.dark_sts import DarkStsParams

__all__ = ["DarkGaps", "at_sea_gaps", "bearing_deg", "dark_gaps", "window"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
H = 3600.0


@dataclass(frozen=True)
class DarkGaps:
    """Gaps as arrays: before (A) and after (B) positions, usual speed, open flag."""

    mmsi: Ints
    t0: Floats
    t1: Floats
    lat0: Floats
    lon0: Floats
    lat1: Floats
    lon1: Floats
    speed: Floats
    open: npt.NDArray[np.bool_]
    course0: Floats  # course (deg) into the last position before the gap, nan if unknown
    course1: Floats  # course out of the first position after it
    heard: Ints  # hours inside the gap in which other vessels nearby were heard
    in_port: npt.NDArray[np.bool_]  # an end of the gap is at a port or anchorage


def dark_gaps(
    c: Cols, data_end_s: float, p: DarkStsParams, places: PlaceIndex | None = None
) -> DarkGaps:
    """Gaps >= ``min_gap_h`` of every track; an open gap ends at ``data_end_s`` at its start."""
    g = find_gaps(c, p.min_gap_h, data_end_s)
    a, b = g.before, g.after
    is_open = b < 0
    bb = np.where(is_open, a, b)
    sog = np.vstack([c.sog[a], c.sog[bb]])
    moving = np.nan_to_num(sog, nan=0.0) > 1.0
    n = moving.sum(axis=0)
    total = np.where(moving, sog, 0.0).sum(axis=0)
    speed = np.where(n > 0, total / np.maximum(n, 1), p.default_speed_kn)
    speed = np.clip(speed, 5.0, p.max_speed_kn)
    t1 = np.where(is_open, data_end_s, c.t[bb])
    course0, course1 = _courses(c, a, np.where(is_open, -1, b))
    heard = _heard_hours(c, c.mmsi[a], c.t[a], t1, (c.lat[a], c.lon[a], c.lat[bb], c.lon[bb]), p)
    in_port = np.zeros(len(a), dtype=bool)
    if places is not None and len(a):
        in_port = places.within(c.lat[a], c.lon[a], p.port_km)
        in_port |= places.within(c.lat[bb], c.lon[bb], p.port_km) & ~is_open
    return DarkGaps(
        c.mmsi[a],
        c.t[a],
        np.where(is_open, data_end_s, c.t[bb]),
        c.lat[a],
        c.lon[a],
        c.lat[bb],
        c.lon[bb],
        speed,
        is_open,
        course0,
        course1,
        heard,
        in_port,
    )


def _courses(c: Cols, a: Ints, b: Ints) -> tuple[Floats, Floats]:
    """Course over the step into ``a`` and out of ``b`` (nan: other track, none, or < 200 m)."""
    n = len(c.t)

    def step(i: Ints, j: Ints) -> Floats:
        ok = (i >= 0) & (j >= 0) & (i < n) & (j < n)
        i, j = np.where(ok, i, 0), np.where(ok, j, 0)
        ok &= c.track[i] == c.track[j]
        ok &= haversine_m(c.lat[i], c.lon[i], c.lat[j], c.lon[j]) > 200.0
        return np.where(ok, bearing_deg(c.lat[i], c.lon[i], c.lat[j], c.lon[j]), np.nan)

    return step(a - 1, a), np.where(b >= 0, step(b, b + 1), np.nan)


_HEARD = """
WITH near AS (
    SELECT g.gid, p.t FROM gaps g JOIN pts p
      ON p.cy = g.cy0 AND p.cx = g.cx0 AND p.t > g.t0 AND p.t < g.t1 AND p.mmsi <> g.mmsi
    UNION ALL
    SELECT g.gid, p.t FROM gaps g JOIN pts p
      ON p.cy = g.cy1 AND p.cx = g.cx1 AND p.t > g.t0 AND p.t < g.t1 AND p.mmsi <> g.mmsi
)
SELECT gid, count(DISTINCT floor(t / 3600)) AS n FROM near GROUP BY gid
"""


def _heard_hours(
    c: Cols, mmsi: Ints, t0: Floats, t1: Floats, ends: tuple[Floats, ...], p: DarkStsParams
) -> Ints:
    """Distinct hours, inside each gap (half an hour in from either end), in which other
    vessels in the cell of its last or next position were heard: reception worked then, so
    a vessel that kept transmitting would have been heard too (satellite passes included)."""
    if not len(mmsi):
        return np.zeros(0, dtype=np.int64)
    cell = p.neighbour_deg
    lat0, lon0, lat1, lon1 = ends
    gaps = pa.table(
        {
            "gid": np.arange(len(mmsi)),
            "mmsi": mmsi,
            "cy0": np.floor(lat0 / cell).astype(np.int64),
            "cx0": np.floor(lon0 / cell).astype(np.int64),
            "cy1": np.floor(lat1 / cell).astype(np.int64),
            "cx1": np.floor(lon1 / cell).astype(np.int64),
            "t0": t0 + 0.5 * H,
            "t1": t1 - 0.5 * H,
        }
    )
    return count_per_gap(c, gaps, cell, _HEARD)


def window(g: DarkGaps, lat: Floats, lon: Floats, v: Floats) -> tuple[Floats, Floats]:
    """Earliest arrival at and latest departure from (lat, lon) at speed ``v`` (kn)."""
    d_in = haversine_m(g.lat0, g.lon0, lat, lon) / M_PER_NM
    d_out = np.where(g.open, 0.0, haversine_m(lat, lon, g.lat1, g.lon1) / M_PER_NM)
    return g.t0 + d_in / v * H, g.t1 - d_out / v * H


def at_sea_gaps(g: DarkGaps, p: DarkStsParams) -> Ints:
    """Gaps that could hide a stop: at sea at both ends, others reporting, time to spare."""
    ok = (g.heard >= p.min_heard_h) & ~g.open & ~g.in_port
    direct = haversine_m(g.lat0, g.lon0, g.lat1, g.lon1) / M_PER_NM / g.speed * H
    ok &= (g.t1 - g.t0) - direct >= p.min_alongside_h * H
    return np.flatnonzero(ok)

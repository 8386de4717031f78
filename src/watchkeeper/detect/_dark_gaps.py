"""Gaps of the dark-STS detector: where each silence began and ended, how fast the vessel
sails, its courses into and out of the silence, and the reception evidence (whether it began in
covered water, and other vessels heard in the same cells while it was silent). See
:mod:`.dark_sts` for the definition that uses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from watchkeeper.context.ports import PlaceIndex
from watchkeeper.context.reception import Coverage
from watchkeeper.detect._track import Cols
from watchkeeper.detect.ais_gap import course_into, course_step, find_gaps
from watchkeeper.tracks.geo import M_PER_NM, bearing_deg, haversine_m

__all__ = ["DarkGaps", "GapSpeeds", "at_sea_gaps", "bearing_deg", "dark_gaps", "window"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
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
    open: Bools
    course0: Floats  # course (deg) into the last position before the gap, nan if unknown
    course1: Floats  # course out of the first position after it
    heard: Ints  # hours inside the gap with other vessels heard in the cells of its ends
    in_port: Bools  # an end of the gap is at a port or anchorage
    # The gap began out of coverage: in a cell not covered, at the edge of the heard area,
    # or with the vessel's course and speed leading into unheard water.
    left: Bools

    def take(self, idx: Ints | list[int]) -> DarkGaps:
        """The gaps at ``idx``."""
        return DarkGaps(*(getattr(self, f)[idx] for f in DarkGaps.__dataclass_fields__))

    @staticmethod
    def concat(parts: Sequence[DarkGaps]) -> DarkGaps:
        """The gaps of ``parts`` (MMSI groups of one window) together."""
        names = DarkGaps.__dataclass_fields__
        return DarkGaps(*(np.concatenate([getattr(p, f) for p in parts]) for f in names))

    def canonical(self) -> DarkGaps:
        """The gaps in one order whatever the order of the vessels that produced them
        (by MMSI, start, end, position): ties between hypotheses then break the same way."""
        return self.take(np.lexsort((self.lon0, self.lat0, self.t1, self.t0, self.mmsi)))


@dataclass(frozen=True)
class GapSpeeds:
    """What the gap reading needs from the dark-STS parameters."""

    min_gap_h: float
    default_speed_kn: float
    max_speed_kn: float
    port_km: float


def dark_gaps(
    c: Cols,
    data_end_s: float,
    s: GapSpeeds,
    cov: Coverage,
    places: PlaceIndex | None = None,
) -> DarkGaps:
    """Gaps >= ``min_gap_h`` of every track; an open gap ends at ``data_end_s`` at its start."""
    g = find_gaps(c, s.min_gap_h, data_end_s)
    a, b = g.before, g.after
    is_open = b < 0
    bb = np.where(is_open, a, b)
    sog = np.vstack([c.sog[a], c.sog[bb]])
    moving = np.nan_to_num(sog, nan=0.0) > 1.0
    n = moving.sum(axis=0)
    total = np.where(moving, sog, 0.0).sum(axis=0)
    speed = np.where(n > 0, total / np.maximum(n, 1), s.default_speed_kn)
    speed = np.clip(speed, 5.0, s.max_speed_kn)
    t1 = np.where(is_open, data_end_s, c.t[bb])
    course0 = course_into(c, a)
    course1 = np.where(is_open, np.nan, course_step(c, np.where(is_open, -1, b), b + 1))
    heard = np.maximum(
        cov.heard_hours(c.lat[a], c.lon[a], c.t[a], t1)[2],
        cov.heard_hours(c.lat[bb], c.lon[bb], c.t[a], t1)[2],
    )
    left = ~cov.covered(c.lat[a], c.lon[a]) | cov.edge(c.lat[a], c.lon[a])
    left |= cov.leaving(c.lat[a], c.lon[a], course0, c.sog[a])
    in_port = np.zeros(len(a), dtype=bool)
    if places is not None and len(a):
        in_port = places.within(c.lat[a], c.lon[a], s.port_km)
        in_port |= places.within(c.lat[bb], c.lon[bb], s.port_km) & ~is_open
    return DarkGaps(
        c.mmsi[a],
        c.t[a],
        t1,
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
        left,
    )


def window(g: DarkGaps, lat: Floats, lon: Floats, v: Floats) -> tuple[Floats, Floats]:
    """Earliest arrival at and latest departure from (lat, lon) at speed ``v`` (kn)."""
    d_in = haversine_m(g.lat0, g.lon0, lat, lon) / M_PER_NM
    d_out = np.where(g.open, 0.0, haversine_m(lat, lon, g.lat1, g.lon1) / M_PER_NM)
    return g.t0 + d_in / v * H, g.t1 - d_out / v * H


def at_sea_gaps(g: DarkGaps, min_heard_h: int, min_alongside_h: float) -> Ints:
    """Gaps that could hide a stop: at sea at both ends, begun in covered water, others heard
    in the same cells, time to spare."""
    ok = (g.heard >= min_heard_h) & ~g.open & ~g.in_port & ~g.left
    direct = haversine_m(g.lat0, g.lon0, g.lat1, g.lon1) / M_PER_NM / g.speed * H
    ok &= (g.t1 - g.t0) - direct >= min_alongside_h * H
    return np.flatnonzero(ok)

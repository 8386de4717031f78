"""AIS gaps: a vessel silent for hours (DESIGN §3, ``ais_gap``).

Definition: no position for >= ``min_gap_h`` (reported). Suspicious ("deliberate") when
>= ``suspicious_h``, starting > ``offshore_km`` from shore, while other vessels nearby kept
reporting during the gap (so reception was not the cause). Open gaps (silent until the end of
the data) are events with ``end`` null. Source: GFW pipe-gaps / intentional-disabling filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa

from watchkeeper.context.land import distance_to_shore_km
from watchkeeper.detect._track import Cols, cols, count_per_gap
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError

__all__ = ["GapParams", "detect_gaps", "find_gaps"]


@dataclass(frozen=True)
class GapParams:
    """Thresholds of the gap detector."""

    min_gap_h: float = 6.0  # GFW pipe-gaps: every gap >= 6 h is recorded
    suspicious_h: float = 12.0  # GFW intentional disabling: >= 12 h
    offshore_km: float = 92.6  # GFW intentional disabling: > 50 nm from shore
    neighbour_deg: float = 1.0  # "nearby" for the reception check: same 1-degree cell

    def __post_init__(self) -> None:
        if self.min_gap_h <= 0 or self.suspicious_h < self.min_gap_h:
            raise ConfigError("0 < min_gap_h <= suspicious_h required")


@dataclass(frozen=True)
class Gaps:
    """Gaps as arrays: index of the last position before, next index after (-1 if open)."""

    before: np.ndarray
    after: np.ndarray
    end_t: np.ndarray  # time of the next position, nan when open


def find_gaps(c: Cols, min_gap_h: float, data_end_s: float | None) -> Gaps:
    """Closed gaps between consecutive positions of a track and open gaps at its end."""
    n = len(c.t)
    same = c.track[1:] == c.track[:-1]
    closed = np.flatnonzero(same & (c.t[1:] - c.t[:-1] >= min_gap_h * 3600.0))
    last = np.flatnonzero(np.concatenate([~same, [True]])) if n else np.empty(0, np.int64)
    last = last[:0] if data_end_s is None else last[data_end_s - c.t[last] >= min_gap_h * 3600.0]
    before = np.concatenate([closed, last]).astype(np.int64)
    after = np.concatenate([closed + 1, np.full(len(last), -1)]).astype(np.int64)
    end_t = np.concatenate([c.t[closed + 1], np.full(len(last), np.nan)])
    return Gaps(before, after, end_t)


def _others_reporting(c: Cols, g: Gaps, data_end_s: float, cell: float) -> np.ndarray:
    """Distinct other vessels reporting in the same cell during each gap."""
    if not len(g.before):
        return np.zeros(0, dtype=np.int64)
    gaps = pa.table(
        {
            "gid": np.arange(len(g.before)),
            "mmsi": c.mmsi[g.before],
            "cy": np.floor(c.lat[g.before] / cell).astype(np.int64),
            "cx": np.floor(c.lon[g.before] / cell).astype(np.int64),
            "t0": c.t[g.before],
            "t1": np.where(np.isnan(g.end_t), data_end_s, g.end_t),
        }
    )
    return count_per_gap(
        c,
        gaps,
        cell,
        "SELECT g.gid, count(DISTINCT p.mmsi) AS n FROM gaps g JOIN pts p "
        "ON p.cy = g.cy AND p.cx = g.cx AND p.t > g.t0 AND p.t < g.t1 AND p.mmsi <> g.mmsi "
        "GROUP BY g.gid",
    )


def detect_gaps(
    tracks: pa.Table, *, data_end: datetime | None = None, params: GapParams = GapParams()
) -> pa.Table:
    """``ais_gap`` events of ``tracks`` (positions sorted by track and time)."""
    c = cols(tracks)
    end_s = (
        data_end.timestamp() if data_end is not None else (float(c.t.max()) if len(c.t) else None)
    )
    g = find_gaps(c, params.min_gap_h, end_s)
    if not len(g.before):
        return events_table([])
    shore = distance_to_shore_km(c.lat[g.before], c.lon[g.before])
    others = _others_reporting(c, g, end_s or 0.0, params.neighbour_deg)
    rows = []
    for k, i in enumerate(g.before):
        stop = g.end_t[k] if not np.isnan(g.end_t[k]) else (end_s or c.t[i])
        hours = (stop - c.t[i]) / 3600.0
        deliberate = bool(
            hours >= params.suspicious_h and shore[k] > params.offshore_km and others[k] > 0
        )
        rows.append(
            event(
                "ais_gap",
                int(c.mmsi[i]),
                to_datetime(c.t[i]),
                None if np.isnan(g.end_t[k]) else to_datetime(g.end_t[k]),
                c.lat[i],
                c.lon[i],
                confidence=0.8 if deliberate else 0.5,
                risk=30.0 if deliberate else 5.0,
                details={
                    "duration_h": round(hours, 3),
                    "open": bool(np.isnan(g.end_t[k])),
                    "deliberate": deliberate,
                    "start_shore_km": float(shore[k]) if np.isfinite(shore[k]) else None,
                    "others_reporting": int(others[k]),
                    "track_id": int(c.track[i]),
                    "params": params.__dict__,
                },
                evidence={"last_before": to_datetime(c.t[i]).isoformat()},
            )
        )
    return events_table(rows)

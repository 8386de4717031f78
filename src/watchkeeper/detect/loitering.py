"""Loitering: one vessel nearly still at sea for hours, away from ports and anchorages.

Definition: consecutive positions of one track with speed < ``max_speed_kn`` spanning
>= ``min_duration_h`` (no hole longer than ``max_hole_h``), whose mean point is more than
``min_place_km`` from any port or anchorage and ``min_shore_km`` from shore. GFW publishes
< 2 kn; >= 4 h and >= 20 nm from shore for carriers; DESIGN §3 uses 2 h. A tanker loitering
alone at sea is the visible half of a dark STS (see :mod:`.dark_sts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from watchkeeper.context.land import distance_to_shore_km
from watchkeeper.context.ports import PlaceIndex
from watchkeeper.detect._track import cols, runs
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import haversine_m

__all__ = ["LoiterParams", "detect_loitering", "loiter_runs"]


@dataclass(frozen=True)
class LoiterParams:
    """Thresholds of the loitering detector."""

    max_speed_kn: float = 2.0  # GFW loitering: < 2 kn
    min_duration_h: float = 2.0  # DESIGN §3 (GFW carriers: 4 h)
    max_hole_h: float = 2.0  # a silence longer than this ends the run
    min_place_km: float = 10.0  # GFW encounters: 10 km from ports/anchorages
    min_shore_km: float = 2.0  # "at sea": off the quay and out of river mouths

    def __post_init__(self) -> None:
        if self.max_speed_kn <= 0 or self.min_duration_h <= 0:
            raise ConfigError("max_speed_kn and min_duration_h must be positive")


def _slow(
    c_t: np.ndarray,
    c_lat: np.ndarray,
    c_lon: np.ndarray,
    sog: np.ndarray,
    track: np.ndarray,
    v: float,
) -> np.ndarray:
    """Reported speed below ``v``; where it is missing, the implied speed to the next point."""
    implied = np.full(len(c_t), np.nan)
    if len(c_t) > 1:
        d = haversine_m(c_lat[:-1], c_lon[:-1], c_lat[1:], c_lon[1:]) / 1852.0
        h = np.maximum(c_t[1:] - c_t[:-1], 1.0) / 3600.0
        same = track[1:] == track[:-1]
        implied[:-1] = np.where(same, d / h, np.nan)
    speed = np.where(np.isnan(sog), implied, sog)
    return np.asarray(np.nan_to_num(speed, nan=0.0) < v)


def loiter_runs(tracks: pa.Table, params: LoiterParams) -> list[tuple[int, int]]:
    """Index ranges (first, last) of slow runs long enough, before the place filters."""
    c = cols(tracks)
    slow = _slow(c.t, c.lat, c.lon, c.sog, c.track, params.max_speed_kn)
    # a hole longer than max_hole_h splits a run: give each side its own group
    hole = np.concatenate([[False], np.diff(c.t) > params.max_hole_h * 3600.0])
    group = c.track * 0 + np.cumsum(hole | np.concatenate([[True], c.track[1:] != c.track[:-1]]))
    s, e = runs(slow, group)
    keep = c.t[e] - c.t[s] >= params.min_duration_h * 3600.0
    return list(zip(s[keep].tolist(), e[keep].tolist(), strict=True))


def detect_loitering(
    tracks: pa.Table, *, places: PlaceIndex | None = None, params: LoiterParams = LoiterParams()
) -> pa.Table:
    """``loitering`` events of ``tracks`` (positions sorted by track and time)."""
    c = cols(tracks)
    found = loiter_runs(tracks, params)
    if not found:
        return events_table([])
    lat = np.array([c.lat[s : e + 1].mean() for s, e in found])
    lon = np.array([c.lon[s : e + 1].mean() for s, e in found])
    near = places.nearest(lat, lon)[0] if places is not None else np.full(len(lat), np.inf)
    shore = distance_to_shore_km(lat, lon)
    rows = []
    for k, (s, e) in enumerate(found):
        if near[k] <= params.min_place_km or shore[k] < params.min_shore_km:
            continue
        hours = (c.t[e] - c.t[s]) / 3600.0
        rows.append(
            event(
                "loitering",
                int(c.mmsi[s]),
                to_datetime(c.t[s]),
                to_datetime(c.t[e]),
                lat[k],
                lon[k],
                confidence=min(1.0, 0.5 + hours / 12.0),
                risk=10.0,
                details={
                    "duration_h": round(hours, 3),
                    "n_positions": int(e - s + 1),
                    "median_sog_kn": float(np.nanmedian(c.sog[s : e + 1]))
                    if np.isfinite(c.sog[s : e + 1]).any()
                    else None,
                    "shore_km": float(shore[k]) if np.isfinite(shore[k]) else None,
                    "place_km": float(near[k]) if np.isfinite(near[k]) else None,
                    "track_id": int(c.track[s]),
                    "params": params.__dict__,
                },
            )
        )
    return events_table(rows)

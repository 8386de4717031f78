"""Draught change at sea: cargo moved away from any port (DESIGN §3, ``draught_change``).

Definition. The reported draught of one MMSI changes by at least ``min_delta_m`` between two
stable values (each reported ``min_reports`` times in a row, see
:func:`~watchkeeper.detect.identity_change.stable_changes`). Cargo only moves while a ship is
stopped, and crews update the draught some time after, so the change is placed at the
vessel's **last stop** before the first report of the new value, within ``lookback_h``:

- a *slow stop*: positions below ``stop_kn`` for at least ``min_stop_h``;
- a *dark stop*: a silence of at least ``min_dark_h`` (AIS off, as in a dark STS).

The event spans from the start of that stop, or the last report of the old value when
earlier, to the first report of the new value: the interval in which the cargo moved (the
last stop is where; a vessel unheard after an earlier stop may have moved it there).
It is reported when the stop is at sea: more than ``min_place_km`` from any port
or anchorage area that is not offshore (a lightering area far out is no port) and
``min_shore_km`` from shore (for a dark stop, both the last position before and the first
after). No stop in the window (a draught corrected while sailing) or a stop in
port (ordinary loading) is no event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.context.land import distance_to_shore_km
from watchkeeper.context.ports import PlaceIndex
from watchkeeper.detect._lookup import ByMmsi
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.detect.identity_change import stable_changes
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import M_PER_NM, haversine_m

__all__ = ["DraughtParams", "Stop", "detect_draught_changes", "last_stop"]

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DraughtParams:
    """Thresholds of the draught-change detector."""

    min_delta_m: float = 1.0  # DESIGN §3: >= 1 m
    min_reports: int = 2  # a value repeated at once is real (static reports every 6 min)
    lookback_h: float = 24.0  # crews update the draught within the watch after cargo work
    stop_kn: float = 2.0  # GFW loitering: < 2 kn (ships alongside drift)
    min_stop_h: float = 1.0  # shorter stops cannot move a meaningful cargo
    min_dark_h: float = 2.0  # a silence this long may hide a stop
    min_place_km: float = 10.0  # GFW encounters: 10 km from ports/anchorages
    min_shore_km: float = 2.0  # off the quay and out of river mouths (as loitering)

    def __post_init__(self) -> None:
        if self.min_delta_m <= 0 or self.lookback_h <= 0 or self.min_reports < 1:
            raise ConfigError("min_delta_m > 0, lookback_h > 0 and min_reports >= 1 required")


@dataclass(frozen=True)
class Stop:
    """Where and when a vessel stopped: ``kind`` 'slow' or 'dark'."""

    kind: str
    start: float
    end: float
    lat: Floats  # the point(s) that must be at sea
    lon: Floats


def _speed(t: Floats, lat: Floats, lon: Floats, sog: Floats) -> Floats:
    """Reported speed; where missing, the implied speed to the next position."""
    implied = np.full(len(t), np.nan)
    if len(t) > 1:
        d = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]) / M_PER_NM
        implied[:-1] = d / (np.maximum(np.diff(t), 1.0) / 3600.0)
    return np.where(np.isnan(sog), implied, sog)


def last_stop(
    t: Floats, lat: Floats, lon: Floats, sog: Floats, until: float, p: DraughtParams
) -> Stop | None:
    """The latest slow or dark stop of time-ordered positions, ending by ``until``."""
    stops: list[Stop] = []
    slow = np.nan_to_num(_speed(t, lat, lon, sog), nan=np.inf) < p.stop_kn
    edges = np.diff(np.concatenate([[0], slow.astype(np.int8), [0]]))
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True):
        if t[b] - t[a] >= p.min_stop_h * 3600.0:
            mid = np.array([lat[a : b + 1].mean()]), np.array([lon[a : b + 1].mean()])
            stops.append(Stop("slow", float(t[a]), float(t[b]), *mid))
    for i in np.flatnonzero(np.diff(t) >= p.min_dark_h * 3600.0).tolist():
        pts = np.array([lat[i], lat[i + 1]]), np.array([lon[i], lon[i + 1]])
        stops.append(Stop("dark", float(t[i]), float(t[i + 1]), *pts))
    if len(t) and until - t[-1] >= p.min_dark_h * 3600.0:
        stops.append(Stop("dark", float(t[-1]), until, np.array([lat[-1]]), np.array([lon[-1]])))
    return max(stops, key=lambda s: s.end) if stops else None


def _at_sea(stop: Stop, places: PlaceIndex | None, p: DraughtParams) -> dict[str, Any] | None:
    """Distances of the stop to places and shore when it is at sea, else None."""
    far = np.full(1, np.inf)
    place = places.nearest(stop.lat, stop.lon, ports_only=True)[0] if places is not None else far
    shore = distance_to_shore_km(stop.lat, stop.lon)
    if place.min() <= p.min_place_km or shore.min() < p.min_shore_km:
        return None
    return {
        "place_km": float(place.min()) if np.isfinite(place.min()) else None,
        "shore_km": float(shore.min()) if np.isfinite(shore.min()) else None,
    }


def detect_draught_changes(
    identities: pa.Table,
    positions: ByMmsi,
    *,
    places: PlaceIndex | None = None,
    data_start: datetime | None = None,
    params: DraughtParams = DraughtParams(),
) -> pa.Table:
    """``draught_change`` events: changes of reported draught placed at a stop at sea.

    ``data_start`` is where the positions of a windowed run begin (earlier ones exist but
    are not loaded): a vessel silent from then until its first position, with the look-back
    reaching before it, had a dark stop (its start unknown, its end at that position).
    """
    t_min = data_start.timestamp() if data_start is not None else -np.inf
    dark_s = params.min_dark_h * 3600.0
    ids = identities.sort_by([("mmsi", "ascending"), ("ts", "ascending")])
    rows = []
    for mmsi, last_old, when, old, new, _ in stable_changes(ids, "draught_m", params.min_reports):
        delta = float(new) - float(old)
        if abs(delta) < params.min_delta_m - 1e-6:
            continue
        since = max(when - params.lookback_h * 3600.0, t_min)
        a, b = positions.window(mmsi, since, when)
        a = max(a - 1, positions.span(mmsi)[0])  # a silence across the window start
        pos = positions
        stop = last_stop(pos.t[a:b], pos.lat[a:b], pos.lon[a:b], pos.sog[a:b], when, params)
        silent_since_start = since - t_min < dark_s  # the silence may reach before the data
        if stop is None and silent_since_start and b > a and pos.t[a] - since >= dark_s:
            stop = Stop("dark", since, float(pos.t[a]), pos.lat[a : a + 1], pos.lon[a : a + 1])
        where = _at_sea(stop, places, params) if stop is not None else None
        if stop is None or where is None:
            continue
        rows.append(
            event(
                "draught_change",
                mmsi,
                to_datetime(min(stop.start, last_old)),
                to_datetime(when),
                float(stop.lat.mean()),
                float(stop.lon.mean()),
                confidence=0.8 if stop.kind == "slow" else 0.6,
                risk=30.0,
                details={
                    "from_m": round(float(old), 2),
                    "to_m": round(float(new), 2),
                    "delta_m": round(delta, 2),
                    "stop": stop.kind,
                    "stop_end": to_datetime(stop.end).isoformat(),
                    "last_old_report": to_datetime(last_old).isoformat(),
                    "first_report": to_datetime(when).isoformat(),
                    **where,
                    "params": asdict(params),
                },
            )
        )
    return events_table(rows)

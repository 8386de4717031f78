"""Loitering: one vessel nearly still at sea for hours, away from ports and anchorages.

Definition: consecutive positions of one track with speed < ``max_speed_kn`` spanning
>= ``min_duration_h`` (no hole longer than ``max_hole_h``), whose mean point is more than
``min_place_km`` from any port or anchorage area and ``min_shore_km`` from shore. GFW
publishes < 2 kn; >= 4 h and >= 20 nm from shore for carriers; DESIGN §3 uses 2 h. A tanker
loitering alone at sea is the visible half of a dark STS (see :mod:`.dark_sts`).

Waiting in a port or at its anchorage is what ships do there: such runs are dropped. An
*offshore* place (a lightering or STS area far from shore, :mod:`watchkeeper.context.places`)
is no port: a run there is kept, with the place named (``details.place``). Every event lists
the place lists it was checked against (``details.places_checked``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.context.land import distance_to_shore_km
from watchkeeper.context.ports import PlaceIndex
from watchkeeper.detect._track import Cols, cols, runs
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import M_PER_NM, haversine_m

__all__ = ["LoiterParams", "detect_loitering", "loiter_runs"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LoiterParams:
    """Thresholds of the loitering detector."""

    max_speed_kn: float = 2.0  # GFW loitering: < 2 kn
    min_duration_h: float = 2.0  # DESIGN §3 (GFW carriers: 4 h)
    # A silence shorter than the AIS-gap threshold (6 h, DESIGN §3) does not end a run when
    # the vessel is where it was (displacement / elapsed < max_speed_kn): satellite reception
    # leaves holes of hours (median of the largest daily gap 4.3 h, Eriksen 2018).
    max_hole_h: float = 6.0
    # Below one 10-minute slice the implied speed is GNSS noise: displacement is judged
    # against at least this much elapsed time.
    min_elapsed_s: float = 600.0
    # The change of speed at either end of a run happened somewhere in the silence next to
    # it: credit the run this share of that silence (0.5: its expected middle; 0: observed
    # span only). Silences longer than max_hole_h are not credited.
    edge_share: float = 0.5
    min_observed_h: float = 0.5  # two separate looks, not one satellite pass (12 min)
    min_place_km: float = 10.0  # GFW encounters: 10 km from ports/anchorages
    min_shore_km: float = 2.0  # "at sea": off the quay and out of river mouths

    def __post_init__(self) -> None:
        if self.max_speed_kn <= 0 or self.min_duration_h <= 0:
            raise ConfigError("max_speed_kn and min_duration_h must be positive")
        if self.max_hole_h <= 0 or self.min_elapsed_s < 0:
            raise ConfigError("max_hole_h must be positive and min_elapsed_s >= 0")
        if not 0.0 <= self.edge_share <= 0.5 or self.min_observed_h < 0:
            raise ConfigError("edge_share must be in [0, 0.5] and min_observed_h >= 0")


def _step_nm(c: Cols, i: Ints) -> Floats:
    """Distance (nm) from each position ``i`` to the next one."""
    return np.asarray(haversine_m(c.lat[i], c.lon[i], c.lat[i + 1], c.lon[i + 1]) / M_PER_NM)


def _slow(c: Cols, v: float) -> npt.NDArray[np.bool_]:
    """Reported speed below ``v``; where it is missing, the speed implied by the step to the
    next position of the track (a last position with no speed counts as slow)."""
    slow = np.asarray(np.nan_to_num(c.sog, nan=0.0) < v)
    miss = np.flatnonzero(np.isnan(c.sog[:-1]) & (c.track[1:] == c.track[:-1]))
    hours = np.maximum(c.t[miss + 1] - c.t[miss], 1.0) / 3600.0
    slow[miss] = _step_nm(c, miss) / hours < v
    return slow


def _breaks(c: Cols, slow: npt.NDArray[np.bool_], params: LoiterParams) -> npt.NDArray[np.bool_]:
    """True where a position starts a new group: new track, a long silence, or a move.

    A hole up to ``max_hole_h`` joins two slow positions when the vessel stayed put
    (displacement over at least ``min_elapsed_s`` below ``max_speed_kn``). Only steps
    between two slow positions are measured: the others end a run anyway.
    """
    if len(c.t) == 0:
        return np.zeros(0, dtype=bool)
    dt = np.diff(c.t)
    brk = (c.track[1:] != c.track[:-1]) | (dt > params.max_hole_h * 3600.0)
    i = np.flatnonzero(~brk & slow[:-1] & slow[1:])
    hours = np.maximum(dt[i], params.min_elapsed_s) / 3600.0
    brk[i] = _step_nm(c, i) / hours >= params.max_speed_kn
    return np.concatenate([[True], brk])


def _edges(c: Cols, s: Ints, e: Ints, params: LoiterParams) -> tuple[Floats, Floats]:
    """Estimated start and end of runs [s, e]: the observed span plus ``edge_share`` of the
    silence before the first and after the last slow position (same track, short silences)."""
    limit = params.max_hole_h * 3600.0
    before = np.zeros(len(s))
    after = np.zeros(len(e))
    has_prev = (s > 0) & (c.track[np.maximum(s - 1, 0)] == c.track[s])
    has_next = (e < len(c.t) - 1) & (c.track[np.minimum(e + 1, len(c.t) - 1)] == c.track[e])
    before[has_prev] = c.t[s[has_prev]] - c.t[s[has_prev] - 1]
    after[has_next] = c.t[e[has_next] + 1] - c.t[e[has_next]]
    before = np.where(before <= limit, before, 0.0) * params.edge_share
    after = np.where(after <= limit, after, 0.0) * params.edge_share
    return c.t[s] - before, c.t[e] + after


def loiter_spans(c: Cols, params: LoiterParams) -> tuple[Ints, Ints, Floats, Floats]:
    """Slow runs long enough, before the place filters: first and last index, estimated
    start and end (epoch seconds)."""
    slow = _slow(c, params.max_speed_kn)
    s, e = runs(slow, np.cumsum(_breaks(c, slow, params), dtype=np.int64))
    t0, t1 = _edges(c, s, e, params)
    observed = c.t[e] - c.t[s] >= params.min_observed_h * 3600.0
    keep = (t1 - t0 >= params.min_duration_h * 3600.0) & observed
    return s[keep], e[keep], t0[keep], t1[keep]


def loiter_runs(tracks: pa.Table, params: LoiterParams) -> list[tuple[int, int]]:
    """Index ranges (first, last) of slow runs long enough, before the place filters."""
    s, e, _, _ = loiter_spans(cols(tracks), params)
    return list(zip(s.tolist(), e.tolist(), strict=True))


def detect_loitering(
    tracks: pa.Table, *, places: PlaceIndex | None = None, params: LoiterParams = LoiterParams()
) -> pa.Table:
    """``loitering`` events of ``tracks`` (positions sorted by track and time)."""
    c = cols(tracks)
    s, e, t0, t1 = loiter_spans(c, params)
    if not len(s):
        return events_table([])
    lat = np.array([c.lat[a : b + 1].mean() for a, b in zip(s, e, strict=True)])
    lon = np.array([c.lon[a : b + 1].mean() for a, b in zip(s, e, strict=True)])
    near, idx = _nearest(places, lat, lon)
    in_port = np.zeros(len(lat), dtype=bool)
    if places is not None:
        in_port = places.within(lat, lon, params.min_place_km)  # offshore places are no ports
    shore = distance_to_shore_km(lat, lon)
    at_sea = ~in_port & ~(shore < params.min_shore_km)
    names = places.column("name") if places is not None else []
    checked = places.sources if places is not None else []
    rows = [
        _row(
            c,
            (int(s[k]), int(e[k])),
            (t0[k], t1[k]),
            (lat[k], lon[k]),
            (shore[k], near[k]),
            params,
            {
                "places_checked": checked,
                "place": names[int(idx[k])] if near[k] <= params.min_place_km else None,
            },
        )
        for k in np.flatnonzero(at_sea)
    ]
    return events_table(rows)


def _nearest(places: PlaceIndex | None, lat: Floats, lon: Floats) -> tuple[Floats, Ints]:
    if places is None:
        return np.full(len(lat), np.inf), np.full(len(lat), -1, dtype=np.int64)
    return places.nearest(lat, lon)


def _km(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _row(
    c: Cols,
    run: tuple[int, int],
    span: tuple[float, float],
    where: tuple[float, float],
    dist: tuple[float, float],
    params: LoiterParams,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """One loitering event for positions s..e (``run``) with estimated ``span``."""
    s, e = run
    hours = (span[1] - span[0]) / 3600.0
    sog = c.sog[s : e + 1]
    return event(
        "loitering",
        int(c.mmsi[s]),
        to_datetime(span[0]),
        to_datetime(span[1]),
        where[0],
        where[1],
        confidence=min(1.0, 0.5 + (c.t[e] - c.t[s]) / 3600.0 / 12.0),
        risk=10.0,
        details={
            "duration_h": round(hours, 3),
            "observed_h": round((c.t[e] - c.t[s]) / 3600.0, 3),
            "observed_start": to_datetime(c.t[s]).isoformat(),
            "observed_end": to_datetime(c.t[e]).isoformat(),
            "n_positions": int(e - s + 1),
            "median_sog_kn": float(np.nanmedian(sog)) if np.isfinite(sog).any() else None,
            "shore_km": _km(dist[0]),
            "place_km": _km(dist[1]),
            "track_id": int(c.track[s]),
            **extra,
            "params": params.__dict__,
        },
    )

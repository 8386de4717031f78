"""AIS gaps: a vessel silent for hours (DESIGN §3, ``ais_gap``), and why it was silent.

Definition: no position for >= ``min_gap_h`` (reported). Each gap gets a ``cause``:

- ``open``: silent until the end of the data (``end`` null): its length is unknown.
- ``no_data``: the data itself holds nothing in most of the gap's hours (a feed hole).
- ``out_of_coverage``: it began where reception is poor (a cell not covered, or at the edge of
  the heard area), its last course and speed lead out of the heard cells, no other vessel
  was heard in the same cells (its cell and the 8 around it) in most of its hours, or many
  others fell silent near it at the same time (``shared_min_others``: reception lost them).
- ``deliberate``: a candidate intentional disabling (GFW): >= ``suspicious_h``, starting
  > ``offshore_km`` from shore, in covered water, and reception shown to work there: others
  heard in the same cells in at least ``min_heard_h`` hours and ``min_heard_share`` of its
  hours, or the vessel itself heard ``min_prior_positions`` times in the ``prior_h`` before.
  Nearer shore (but beyond ``min_shore_km``) it takes more: the vessel heard steadily before
  (``min_prior_positions``, required) and no port or anchorage area within ``min_place_km``.
- ``in_coverage``: reception worked around it, but it is shorter or nearer shore than that,
  or the vessel cannot take part in an STS (harbour craft, passenger, pleasure).

``details.deliberate`` is true for ``deliberate`` only. Coverage comes from a reception map
(:mod:`watchkeeper.context.reception`) learned from the data; by default from ``tracks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.context.land import distance_to_shore_km
from watchkeeper.context.ports import PlaceIndex
from watchkeeper.context.reception import Coverage, ReceptionMap, reception_map
from watchkeeper.context.vessel_types import is_sts_candidate
from watchkeeper.detect._lookup import ByMmsi
from watchkeeper.detect._track import Cols, cols
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import bearing_deg, haversine_m

__all__ = [
    "CAUSES",
    "GapCauses",
    "GapParams",
    "classify_gaps",
    "course_into",
    "detect_gaps",
    "find_gaps",
    "heard_before",
    "silences",
    "silent_together",
]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: The causes a gap can be given, from the most to the least certain reading of the data.
CAUSES = ("open", "no_data", "out_of_coverage", "deliberate", "in_coverage")


@dataclass(frozen=True)
class GapParams:
    """Thresholds of the gap detector."""

    min_gap_h: float = 6.0  # GFW pipe-gaps: every gap >= 6 h is recorded
    suspicious_h: float = 12.0  # GFW intentional disabling: >= 12 h
    offshore_km: float = 92.6  # GFW intentional disabling: > 50 nm from shore
    # Nearer shore, between min_shore_km and offshore_km, a silence is deliberate only when
    # the vessel was heard steadily up to it (min_prior_positions, required there) and it did
    # not begin in a port or anchorage area: sanctioned transfers also happen inside 50 nm
    # (UN Panel of Experts: in North Korean waters off Cho-do at the Nampo approach, and off
    # Wonsan). 5.6 km (3 nm, the US state-waters line) leaves harbours, bays and river mouths
    # out; 10 km is GFW's port/anchorage radius for encounters (as loitering's min_place_km).
    min_shore_km: float = 5.6
    min_place_km: float = 10.0
    # Others heard in the same cells in >= 3 hours of the gap (as dark_sts' min_heard_h) and
    # in at least half of them: a terrestrial station hears its area every hour; a satellite
    # hole ends at the next pass (largest daily gap ~4 h median, Eriksen 2018).
    min_heard_h: int = 3
    min_heard_share: float = 0.5
    # Or the vessel's own reception before it fell silent (GFW's gap events, Welch et al.
    # 2022: >= 14 positions in the 12 h before the gap): it was heard steadily right there,
    # so the silence is not the receivers'. Needed where traffic is too thin for others to
    # be heard every hour (open sea under satellite coverage).
    prior_h: float = 12.0
    min_prior_positions: int = 14
    # Silent together: when at least shared_min_others other vessels within shared_km fell
    # silent within shared_s of it, the receivers lost them all (a satellite pass missed, a
    # station down), not each ship its transponder. A sanctioned transfer takes two ships,
    # sometimes a third (UN Panel of Experts reports); five going dark in one place within
    # half an hour is reception. 100 km: about the reach of the 3 x 3 reception cells.
    shared_min_others: int = 4
    shared_s: float = 1800.0
    shared_km: float = 100.0
    # A gap whose hours mostly hold no data at all (any vessel, anywhere) is a hole in the
    # feed (a sample cut to minutes, a receiver network outage), not a silent vessel.
    min_data_share: float = 0.5

    def __post_init__(self) -> None:
        if self.min_gap_h <= 0 or self.suspicious_h < self.min_gap_h:
            raise ConfigError("0 < min_gap_h <= suspicious_h required")
        if not 0 <= self.min_heard_share <= 1 or not 0 <= self.min_data_share <= 1:
            raise ConfigError("min_heard_share and min_data_share must be in [0, 1]")


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


def course_step(c: Cols, i: Ints, j: Ints) -> Floats:
    """Course from position ``i`` to ``j`` (nan: other track, out of range, or < 200 m apart,
    where GNSS noise would set the bearing)."""
    n = len(c.t)
    ok = (i >= 0) & (j >= 0) & (i < n) & (j < n)
    i, j = np.where(ok, i, 0), np.where(ok, j, 0)
    ok &= c.track[i] == c.track[j]
    ok &= haversine_m(c.lat[i], c.lon[i], c.lat[j], c.lon[j]) > 200.0
    return np.where(ok, bearing_deg(c.lat[i], c.lon[i], c.lat[j], c.lon[j]), np.nan)


def course_into(c: Cols, a: Ints) -> Floats:
    """Course over the step into position ``a`` (its last course before a silence)."""
    return course_step(c, a - 1, a)


@dataclass(frozen=True)
class GapCauses:
    """Reception evidence and cause of each gap (arrays in the order of the gaps)."""

    cause: npt.NDArray[np.str_]
    covered: npt.NDArray[np.bool_]  # the start cell was covered
    edge: npt.NDArray[np.bool_]  # the start cell is at the edge of the heard area
    leaving: npt.NDArray[np.bool_]  # its last course and speed lead into unheard water
    hours: Ints  # whole hours inside the gap
    data_hours: Ints  # of which hours with any data
    heard_hours: Ints  # of which hours with others heard in the same cells
    silent_together: Ints  # other vessels that fell silent near it at the same time
    prior_positions: Ints  # the vessel's own positions in the prior_h before the gap

    @property
    def out_of_coverage(self) -> npt.NDArray[np.bool_]:
        """The gap began where, or as, the vessel left reception."""
        return np.asarray(self.cause == "out_of_coverage")


def classify_gaps(
    c: Cols,
    g: Gaps,
    cov: Coverage,
    stop_s: Floats,
    shore_km: Floats,
    p: GapParams,
    in_place: npt.NDArray[np.bool_] | None = None,
    prior: Ints | None = None,
    candidate: npt.NDArray[np.bool_] | None = None,
    pool: pa.Table | None = None,
) -> GapCauses:
    """The cause of each gap ``g`` (module docstring); ``stop_s`` its end (data end if open);
    ``prior`` the vessel's positions in the ``prior_h`` before each (by default its track's);
    ``pool`` the :func:`silences` of every vessel (by default those of ``c``)."""
    a = g.before
    lat, lon = c.lat[a], c.lon[a]
    covered = cov.covered(lat, lon)
    edge = cov.edge(lat, lon)
    leaving = cov.leaving(lat, lon, course_into(c, a), c.sog[a])
    hours, data_hours, heard = cov.heard_hours(lat, lon, c.t[a], stop_s)
    span = np.maximum(hours, 1)
    no_data = data_hours < p.min_data_share * span
    if prior is None:
        prior = prior_positions(c, a, p.prior_h)
    heard_ok = (heard >= p.min_heard_h) & (heard >= p.min_heard_share * span)
    heard_ok |= prior >= p.min_prior_positions
    together = silent_together(c, a, p.shared_s, p.shared_km, pool)
    poor = ~covered | edge | leaving | ~heard_ok | (together >= p.shared_min_others)
    steady = prior >= p.min_prior_positions
    at_place = np.zeros(len(a), dtype=bool) if in_place is None else in_place
    near_shore = (shore_km > p.min_shore_km) & steady & ~at_place
    suspicious = ((stop_s - c.t[a]) >= p.suspicious_h * 3600.0) & (
        (shore_km > p.offshore_km) | near_shore
    )
    if candidate is not None:  # harbour craft and vessels carrying people do no STS
        suspicious &= candidate
    cause = np.select(
        [g.after < 0, no_data, poor, suspicious],
        ["open", "no_data", "out_of_coverage", "deliberate"],
        default="in_coverage",
    )
    return GapCauses(cause, covered, edge, leaving, hours, data_hours, heard, together, prior)


#: Where and when silences began (:func:`silences`): one row per gap start.
SILENCES = pa.schema(
    [
        pa.field("mmsi", pa.int64()),
        pa.field("t", pa.float64()),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
    ]
)


def silences(tracks: pa.Table, data_end: datetime | None, params: GapParams) -> pa.Table:
    """The start (:data:`SILENCES`) of every gap of ``tracks`` (sorted by track, time), as
    :func:`detect_gaps` finds them: the pool :func:`silent_together` counts in, gathered
    from every MMSI group of a window when the window is split."""
    c = cols(tracks)
    end_s = (
        data_end.timestamp() if data_end is not None else (float(c.t.max()) if len(c.t) else None)
    )
    a = find_gaps(c, params.min_gap_h, end_s).before
    arrays = [pa.array(x) for x in (c.mmsi[a], c.t[a], c.lat[a], c.lon[a])]
    return pa.Table.from_arrays(arrays, schema=SILENCES)


def silent_together(
    c: Cols, a: Ints, within_s: float, within_km: float, pool: pa.Table | None = None
) -> Ints:
    """For each silence beginning after position ``a``: how many other vessels' silences
    (of ``a``, or of ``pool``: :func:`silences` of every vessel) began within ``within_s``
    and ``within_km`` of it."""
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    if pool is None:
        t, lat, lon, mmsi = c.t[a], c.lat[a], c.lon[a], c.mmsi[a]
    else:
        mmsi, t, lat, lon = (np.asarray(pool.column(n).to_numpy()) for n in SILENCES.names)
    order = np.argsort(t, kind="stable")
    t, lat, lon, mmsi = t[order], lat[order], lon[order], mmsi[order]
    lo = np.searchsorted(t, c.t[a] - within_s, side="left")
    hi = np.searchsorted(t, c.t[a] + within_s, side="right")
    qlat, qlon, qmmsi = c.lat[a], c.lon[a], c.mmsi[a]
    counts = np.zeros(len(a), dtype=np.int64)
    for k in range(len(a)):
        near = haversine_m(qlat[k], qlon[k], lat[lo[k] : hi[k]], lon[lo[k] : hi[k]])
        others = mmsi[lo[k] : hi[k]]
        counts[k] = len(np.unique(others[(near <= within_km * 1000.0) & (others != qmmsi[k])]))
    return counts


def heard_before(where: ByMmsi, mmsi: Ints, t: Floats, hours: float) -> Ints:
    """Positions of each MMSI in ``where`` from ``hours`` before ``t`` up to ``t``."""
    out = np.zeros(len(t), dtype=np.int64)
    for k, (m, tk) in enumerate(zip(mmsi.tolist(), t.tolist(), strict=True)):
        lo, hi = where.span(m)
        ts = where.t[lo:hi]
        out[k] = np.searchsorted(ts, tk, "right") - np.searchsorted(ts, tk - hours * 3600.0)
    return out


def prior_positions(c: Cols, a: Ints, hours: float) -> Ints:
    """Positions of the same track in the ``hours`` before and at each index ``a``."""
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    # positions are sorted by (track, t): one monotone integer key, whole seconds
    dense = np.unique(c.track, return_inverse=True)[1].astype(np.int64)
    key = (dense << 34) + np.floor(c.t).astype(np.int64)  # 2**34 s is 544 years
    lo = np.searchsorted(key, key[a] - int(hours * 3600.0), side="left")
    return np.asarray(a - lo + 1, dtype=np.int64)


def detect_gaps(
    tracks: pa.Table,
    *,
    data_end: datetime | None = None,
    reception: ReceptionMap | None = None,
    places: PlaceIndex | None = None,
    where: ByMmsi | None = None,
    before: ByMmsi | None = None,
    ship_types: Mapping[int, int] | None = None,
    pool: pa.Table | None = None,
    params: GapParams = GapParams(),
) -> pa.Table:
    """``ais_gap`` events of ``tracks`` (positions sorted by track and time).

    ``pool``: the :func:`silences` of every vessel of the window (``tracks`` may hold one
    MMSI group of it); by default those of ``tracks``.

    ``reception`` is the run's reception map; by default it is learned from ``tracks``.
    ``places`` (ports and anchorages): a gap beginning within ``min_place_km`` of one is
    deliberate only beyond ``offshore_km``; without places, none is known. ``where``
    (positions by MMSI) counts the vessel's positions before a gap by MMSI, and ``before``
    adds those from before the tracks begin (a day window's look-back): one window or one
    per day then count the same; without ``where``, the gap's own track is counted.
    ``ship_types`` (AIS type by MMSI): a vessel that cannot take part in an STS (harbour
    craft, passenger, pleasure; :func:`~watchkeeper.context.vessel_types.is_sts_candidate`)
    is never deliberate; unknown types stay candidates.
    """
    c = cols(tracks)
    end_s = (
        data_end.timestamp() if data_end is not None else (float(c.t.max()) if len(c.t) else None)
    )
    g = find_gaps(c, params.min_gap_h, end_s)
    if not len(g.before):
        return events_table([])
    cov = Coverage.of(reception if reception is not None else reception_map(tracks))
    shore = distance_to_shore_km(c.lat[g.before], c.lon[g.before])
    stop = np.where(np.isnan(g.end_t), end_s if end_s is not None else 0.0, g.end_t)
    at = g.before
    in_place = None if places is None else places.within(c.lat[at], c.lon[at], params.min_place_km)
    prior = None
    if where is not None:
        m, t = c.mmsi[at], c.t[at]
        prior = heard_before(where, m, t, params.prior_h)
        if before is not None:
            prior += heard_before(before, m, t, params.prior_h)
    types = ship_types or {}
    candidate = np.array([is_sts_candidate(types.get(int(m))) for m in c.mmsi[at]], dtype=bool)
    why = classify_gaps(c, g, cov, stop, shore, params, in_place, prior, candidate, pool)
    rows = []
    for k, i in enumerate(g.before.tolist()):
        deliberate = bool(why.cause[k] == "deliberate")
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
                    "duration_h": round(float(stop[k] - c.t[i]) / 3600.0, 3),
                    "open": bool(np.isnan(g.end_t[k])),
                    "deliberate": deliberate,
                    "cause": str(why.cause[k]),
                    "start_shore_km": round(float(shore[k]), 1) if np.isfinite(shore[k]) else None,
                    "in_place": None if in_place is None else bool(in_place[k]),
                    "sts_candidate": bool(candidate[k]),
                    "reception": {
                        "covered": bool(why.covered[k]),
                        "edge": bool(why.edge[k]),
                        "leaving": bool(why.leaving[k]),
                        "hours": int(why.hours[k]),
                        "data_hours": int(why.data_hours[k]),
                        "heard_hours": int(why.heard_hours[k]),
                        "silent_together": int(why.silent_together[k]),
                        "prior_positions": int(why.prior_positions[k]),
                    },
                    "track_id": int(c.track[i]),
                    "params": params.__dict__,
                },
                evidence={"last_before": to_datetime(c.t[i]).isoformat()},
            )
        )
    return events_table(rows)

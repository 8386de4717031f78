"""Dark ship-to-ship transfers: a meeting at sea where (at least) one side had AIS off.

Definition (DESIGN §3; no public system publishes one, so ours is stated in full):

1. **Loitering + dark partner.** A vessel loiters at sea (a :mod:`.loitering` event). Another
   vessel has an AIS gap (>= ``min_gap_h``) such that, sailing at most ``max_speed_kn`` from
   its last position before the gap, it could reach the loitering spot, stay alongside for
   ``min_alongside_h`` while the first vessel loitered, and sail on to its first position after
   the gap. Each such vessel is a *partner candidate*; its likelihood is the product of
   - ``time``: the share of ``alongside_ref_h`` it could have spent alongside when sailing at
     its own reported speed (a ship in transit that went silent has no time to stop);
   - ``overlap``: the share of the loitering during which it was dark;
   - ``type``: ship types (tanker 1, cargo 0.8, unknown 0.7, others 0.3), both vessels;
   - ``heard``: reception evidence: the share of ``min_heard_h`` hours inside the gap in
     which other vessels near its ends were heard (an innocent gap in satellite coverage ends
     at the next pass; a vessel that switched off stays silent through several passes);
   - ``approach``: 1 when its last position was within ``approach_free_km`` of the spot,
     decaying with ``approach_scale_km`` beyond (partners go dark near the meeting);
   - ``heading``: how well its course before the gap points at the spot and its course
     after the gap leads away from it (``(1 + cos)/2`` per side; unknown 0.75);
   - 0.7 when the gap is still open at the end of the data (no position after it), and
     ``port_factor`` when it starts or ends within ``port_km`` of a port or anchorage.
   Candidates above ``min_likelihood`` are kept; ``other_mmsi`` is the best.
2. **Both dark.** Two vessels' gaps overlap by ``min_alongside_h`` and both vessels could
   have met at one point (searched among the gap ends, their midpoints and centroid) and
   stayed together that long; likelihood = time x type x heading of both, at least
   ``min_likelihood_both``. Both gaps must start
   and end at sea, leave time to stop at the vessels' own speeds, and show reception evidence
   (others heard nearby in at least ``min_heard_h`` hours of the gap).

A tanker loitering at sea with no candidate is *not* a dark STS here: nothing in the data
shows a second vessel, and the loitering event already records the visible half; risk
scoring can weigh "tanker loitering at sea" on its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.context.ports import PlaceIndex
from watchkeeper.context.reception import Coverage, ReceptionMap, reception_map
from watchkeeper.context.vessel_types import is_sts_candidate, sts_pair_reason
from watchkeeper.detect._dark_gaps import (
    DarkGaps,
    GapSpeeds,
    at_sea_gaps,
    bearing_deg,
    dark_gaps,
    window,
)
from watchkeeper.detect._track import cols
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import haversine_m

__all__ = [
    "DarkGaps",
    "DarkStsParams",
    "dark_gaps",
    "dark_sts_events",
    "detect_dark_sts",
    "gaps_of",
    "type_factor",
]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
H = 3600.0


@dataclass(frozen=True)
class DarkStsParams:
    """Thresholds of the dark-STS detector."""

    min_gap_h: float = 4.0  # an STS takes >= 2 h alongside plus the approach and departure
    max_speed_kn: float = 15.0  # plausible top speed of a laden tanker
    min_alongside_h: float = 1.0  # the shortest useful transfer
    alongside_ref_h: float = 2.0  # DESIGN §3: encounters last >= 2 h
    min_likelihood: float = 0.5  # e.g. a tanker and a ship of unknown type, course fitting
    # Two silences are weaker evidence than a silence next to a visible loiterer.
    min_likelihood_both: float = 0.7
    # When a loiterer and a pair of gaps compete for one silence, the pair's likelihood
    # counts this much (the ratio of the two thresholds): its meeting time is inferred, where
    # a loiterer's stop was seen.
    both_dark_rank: float = 0.7
    # Two vessels loitering side by side (mean points this close, together >= min_alongside_h)
    # are each other's visible partner: an encounter, not the visible half of a dark STS.
    # 1 km: the encounter distance (500 m, GFW) plus the spread of two drifting mean points.
    alongside_km: float = 1.0
    # A gap that starts or ends in port is often a port-side outage, and a partner would
    # rather reappear at sea. "In port": within port_km of a port or anchorage *area* that is
    # not offshore (context.places: anchorages are listed as areas, so the 10 km GFW uses to
    # drop encounters near ports suffices, as for encounters).
    port_factor: float = 0.6
    port_km: float = 10.0
    # A partner goes dark near the meeting: no penalty for its last position within
    # approach_free_km of the spot, then exp(-(d - free) / approach_scale_km) (about 3 h and
    # 8 h of sailing at 10 kn).
    approach_free_km: float = 50.0
    approach_scale_km: float = 150.0
    # A partner goes dark near the spot: its last position at most 100 km away (~5.4 h at
    # 10 kn; the approach factor there is already exp(-50/150) = 0.72). A vessel last heard
    # further away had hours of silence that the meeting does not explain.
    max_approach_km: float = 100.0
    max_candidates: int = 5
    # Others heard in the same cells (each end's 0.25-degree cell and its 8 neighbours, the
    # reception map) in this many hours of the gap: reception worked there.
    min_heard_h: int = 3
    default_speed_kn: float = 10.0  # usual speed when none is reported
    # A course is weak evidence of where a ship goes 50+ km on: routes bend round islands,
    # traffic separation schemes and headlands. A course pointing straight away from the spot
    # keeps this share of the likelihood (1: courses ignored; 0: they veto).
    heading_floor: float = 0.5
    # Hours of a partner's spare time (the gap less the sailing to and from the spot at its
    # own speed) that the meeting need not explain: satellite holes lengthen gaps (median of
    # each ship's largest daily gap 4.3 h, Eriksen 2018). Beyond that, spare time outside the
    # meeting lowers the likelihood (a silence the meeting explains beats one it does not).
    reception_slack_h: float = 4.3
    type_factors: dict[str, float] = field(
        default_factory=lambda: {"tanker": 1.0, "cargo": 0.8, "unknown": 0.7, "other": 0.3}
    )

    def __post_init__(self) -> None:
        if self.min_gap_h <= 0 or self.max_speed_kn <= 0 or self.min_alongside_h <= 0:
            raise ConfigError("min_gap_h, max_speed_kn and min_alongside_h must be positive")

    def speeds(self) -> GapSpeeds:
        """What the gap reading (:func:`.dark_gaps`) needs."""
        return GapSpeeds(self.min_gap_h, self.default_speed_kn, self.max_speed_kn, self.port_km)


def type_factor(ship_type: int | None, p: DarkStsParams) -> float:
    """Prior that a vessel of AIS ship type ``ship_type`` takes part in an STS transfer."""
    f = p.type_factors
    if ship_type is None or ship_type == 0:
        return f["unknown"]
    if 80 <= ship_type <= 89:
        return f["tanker"]
    return f["cargo"] if 70 <= ship_type <= 79 else f["other"]


def heading_factor(g: DarkGaps, lat: Floats, lon: Floats, floor: float = 0.0) -> Floats:
    """How well the courses before and after each gap point to and from (lat, lon), 0-1.

    A partner sails to the meeting point and on from it; a course unknown counts 0.75; the
    result is raised to at least ``floor`` (``floor + (1 - floor) * fit``).
    """
    into = bearing_deg(g.lat0, g.lon0, lat, lon)
    out = bearing_deg(lat, lon, g.lat1, g.lon1)
    f_in = (1 + np.cos(np.radians(g.course0 - into))) / 2
    f_out = (1 + np.cos(np.radians(g.course1 - out))) / 2
    near_in = haversine_m(g.lat0, g.lon0, lat, lon) < 5_000.0  # already there: any course
    near_out = haversine_m(lat, lon, g.lat1, g.lon1) < 5_000.0
    f_in = np.where(near_in, 1.0, np.nan_to_num(f_in, nan=0.75))
    f_out = np.where(near_out | g.open, 1.0, np.nan_to_num(f_out, nan=0.75))
    return np.asarray(floor + (1.0 - floor) * np.sqrt(f_in * f_out))


def stay_factor(
    spare_s: Floats, together_s: Floats, is_open: npt.NDArray[np.bool_], p: DarkStsParams
) -> Floats:
    """Share of a partner's spare time (s) that the meeting (``together_s``) explains, with
    ``reception_slack_h`` of it free; 1 for an open gap (its end is unknown)."""
    free = np.maximum(together_s, 0.0) + p.reception_slack_h * H
    return np.where(is_open, 1.0, np.clip(free / np.maximum(spare_s, 1.0), 0.0, 1.0))


def _candidates(
    loiter: dict[str, Any], g: DarkGaps, types: dict[int, int], p: DarkStsParams
) -> list[dict[str, Any]]:
    ls, le = loiter["start"].timestamp(), loiter["end"].timestamp()
    if not is_sts_candidate(types.get(int(loiter["mmsi"]))):
        return []
    sel = np.flatnonzero((g.mmsi != loiter["mmsi"]) & (g.t0 < le) & (g.t1 > ls) & ~g.left)
    lt = types.get(int(loiter["mmsi"]))
    sel = sel[[sts_pair_reason(lt, types.get(int(m))) is None for m in g.mmsi[sel]]]
    if not len(sel):
        return []
    sub = g.take(sel)
    lat, lon = np.full(len(sel), loiter["lat"]), np.full(len(sel), loiter["lon"])
    ta, td = window(sub, lat, lon, np.full(len(sel), p.max_speed_kn))
    feasible = np.minimum(td, le) - np.maximum(ta, ls) >= p.min_alongside_h * H
    ua, ud = window(sub, lat, lon, sub.speed)
    # Near the spot, and dark no earlier than it had to be: arriving at its own speed more
    # than reception_slack_h before the loitering began leaves a silence the meeting does
    # not explain (a ship that sailed off and went quiet hours before the stop).
    feasible &= haversine_m(sub.lat0, sub.lon0, lat, lon) <= p.max_approach_km * 1000.0
    feasible &= ls - ua <= p.reception_slack_h * H
    together = np.minimum(ud, le) - np.maximum(ua, ls)
    f_time = np.clip(together / (p.alongside_ref_h * H), 0, 1)
    f_stay = stay_factor(ud - ua, together, sub.open, p)
    span = max(le - ls, 1.0)
    f_overlap = np.clip((np.minimum(sub.t1, le) - np.maximum(sub.t0, ls)) / span, 0, 1)
    f_head = heading_factor(sub, lat, lon, p.heading_floor)
    d_in = haversine_m(sub.lat0, sub.lon0, lat, lon) / 1000.0
    f_near = np.exp(-np.maximum(d_in - p.approach_free_km, 0.0) / p.approach_scale_km)
    own = type_factor(types.get(int(loiter["mmsi"])), p)
    out: list[dict[str, Any]] = []
    for k in np.flatnonzero(feasible).tolist():
        m = int(sub.mmsi[k])
        factors = {
            "time": f_time[k],
            "stay": f_stay[k],
            "overlap": f_overlap[k],
            "type": own * type_factor(types.get(m), p),
            "heard": min(1.0, float(sub.heard[k]) / p.min_heard_h),
            "heading": f_head[k],
            "approach": f_near[k],
            "open": 0.7 if sub.open[k] else 1.0,
            "port": p.port_factor if sub.in_port[k] else 1.0,
        }
        like = float(np.prod(list(factors.values())))
        if like >= p.min_likelihood:
            out.append(
                {
                    "mmsi": m,
                    "likelihood": round(like, 3),
                    "reason": _reason(sub, k, lat[0], lon[0]),
                    "factors": {f: round(float(v), 3) for f, v in factors.items()},
                    "gap": int(sel[k]),
                }
            )
    out.sort(key=lambda r: (-float(r["likelihood"]), int(r["mmsi"])))
    return out[: p.max_candidates]


def _reason(g: DarkGaps, k: int, lat: float, lon: float) -> str:
    d0 = float(haversine_m(g.lat0[k], g.lon0[k], lat, lon)) / 1000.0
    hours = (g.t1[k] - g.t0[k]) / H
    tail = "still dark" if g.open[k] else f"reappeared {d1_km(g, k, lat, lon):.0f} km away"
    return f"dark {hours:.1f} h from {d0:.0f} km away at {g.speed[k]:.0f} kn; {tail}"


def d1_km(g: DarkGaps, k: int, lat: float, lon: float) -> float:
    """Distance (km) from (lat, lon) to the first position after gap ``k``."""
    return float(haversine_m(lat, lon, g.lat1[k], g.lon1[k])) / 1000.0


@dataclass(frozen=True)
class _Hypothesis:
    """One explanation of dark gaps: a loiterer and a partner's gap, or two gaps that met."""

    likelihood: float
    rank: float  # the likelihood on a common scale (both-dark discounted)
    gaps: tuple[int, ...]  # indices into DarkGaps; each gap explains at most one meeting
    loiter: int  # index of the loitering event, -1 for two gaps
    data: dict[str, Any]  # the candidate (loitering) or the meeting point (both dark)


def visibly_paired(loiters: list[dict[str, Any]], p: DarkStsParams) -> set[int]:
    """Indices of loitering events with another vessel loitering alongside at the same time."""
    if not loiters:
        return set()
    lat = np.array([lo["lat"] for lo in loiters], dtype=np.float64)
    lon = np.array([lo["lon"] for lo in loiters], dtype=np.float64)
    t0 = np.array([lo["start"].timestamp() for lo in loiters])
    t1 = np.array([lo["end"].timestamp() for lo in loiters])
    mmsi = np.array([int(lo["mmsi"]) for lo in loiters])
    order = np.argsort(lat)
    hi = np.searchsorted(lat[order], lat[order] + p.alongside_km / 111.0, side="right")
    out: set[int] = set()
    for n, i in enumerate(order.tolist()):
        js = order[n + 1 : hi[n]]  # later in latitude, within alongside_km of it
        together = np.minimum(t1[js], t1[i]) - np.maximum(t0[js], t0[i])
        near = haversine_m(lat[i], lon[i], lat[js], lon[js]) <= p.alongside_km * 1000
        hit = js[near & (together >= p.min_alongside_h * H) & (mmsi[js] != mmsi[i])]
        if len(hit):
            out.update([i, *hit.tolist()])
    return out


def _loiter_hypotheses(
    loiters: list[dict[str, Any]], g: DarkGaps, types: dict[int, int], p: DarkStsParams
) -> tuple[list[list[dict[str, Any]]], list[_Hypothesis]]:
    """Candidates of every loitering event without a visible partner, one hypothesis each."""
    paired = visibly_paired(loiters, p)
    cands = [[] if i in paired else _candidates(lo, g, types, p) for i, lo in enumerate(loiters)]
    hyps = [
        _Hypothesis(float(c["likelihood"]), float(c["likelihood"]), (int(c["gap"]),), li, c)
        for li, cs in enumerate(cands)
        for c in cs
    ]
    return cands, hyps


def _assign(hyps: list[_Hypothesis]) -> list[_Hypothesis]:
    """Competing explanations, strongest first: a gap is one vessel's single silence and a
    loitering event one meeting, so each is given to the most likely hypothesis using it."""
    used_gaps: set[int] = set()
    used_loiters: set[int] = set()
    kept = []
    for h in sorted(hyps, key=lambda h: (-h.rank, h.loiter, h.gaps)):
        if used_gaps.intersection(h.gaps) or h.loiter in used_loiters:
            continue
        used_gaps.update(h.gaps)
        if h.loiter >= 0:
            used_loiters.add(h.loiter)
        kept.append(h)
    return kept


def _loiter_event(
    lo: dict[str, Any], cands: list[dict[str, Any]], chosen: dict[str, Any], p: DarkStsParams
) -> dict[str, Any]:
    """The event of loitering ``lo`` with its assigned partner ``chosen``."""
    shown = [{k: v for k, v in c.items() if k != "gap"} for c in cands]
    return event(
        "dark_sts",
        int(lo["mmsi"]),
        lo["start"],
        lo["end"],
        lo["lat"],
        lo["lon"],
        other=int(chosen["mmsi"]),
        confidence=float(chosen["likelihood"]),
        risk=60.0,
        details={
            "kind": "loitering_with_dark_partner",
            "candidates": shown,
            "loitering_event_id": lo["event_id"],
            "params": asdict(p),
        },
        evidence={"loitering": lo["event_id"]},
    )


def _meeting_points(g: DarkGaps, i: int, j: int) -> tuple[Floats, Floats]:
    lats = np.array([g.lat0[i], g.lat1[i], g.lat0[j], g.lat1[j]])
    lons = np.array([g.lon0[i], g.lon1[i], g.lon0[j], g.lon1[j]])
    mid_lat = [lats.mean(), lats[:2].mean(), lats[2:].mean()]
    mid_lon = [lons.mean(), lons[:2].mean(), lons[2:].mean()]
    return np.concatenate([lats, mid_lat]), np.concatenate([lons, mid_lon])


def _pair(g: DarkGaps, i: int, j: int, types: dict[int, int], p: DarkStsParams) -> dict[str, Any]:
    """Best meeting point of gaps i and j and its likelihood (0 when impossible)."""
    lat, lon = _meeting_points(g, i, j)
    best: dict[str, Any] = {"likelihood": 0.0}
    for k in range(len(lat)):
        sub = g.take([i, j])
        pl, po = np.full(2, lat[k]), np.full(2, lon[k])
        ta, td = window(sub, pl, po, np.full(2, p.max_speed_kn))
        if td.min() - ta.max() < p.min_alongside_h * H:
            continue
        ua, ud = window(sub, pl, po, sub.speed)
        together = ud.min() - ua.max()
        f_time = float(np.clip(together / (p.alongside_ref_h * H), 0, 1))
        f_time *= float(np.prod(stay_factor(ud - ua, np.full(2, together), sub.open, p)))
        f_type = type_factor(types.get(int(g.mmsi[i])), p)
        f_type *= type_factor(types.get(int(g.mmsi[j])), p)
        like = f_time * f_type * float(np.prod(heading_factor(sub, pl, po, p.heading_floor)))
        if like > best["likelihood"]:
            best = {
                "likelihood": like,
                "lat": lat[k],
                "lon": lon[k],
                "t0": ta.max(),
                "t1": td.min(),
            }
    return best


def _both_dark_hypotheses(
    g: DarkGaps, types: dict[int, int], p: DarkStsParams
) -> list[_Hypothesis]:
    """Pairs of at-sea gaps of different vessels that could hide a meeting."""
    idx = at_sea_gaps(g, p.min_heard_h, p.min_alongside_h)
    idx = idx[[is_sts_candidate(types.get(int(m))) for m in g.mmsi[idx]]]
    out = []
    for n, i in enumerate(idx.tolist()):
        for j in idx[n + 1 :].tolist():
            if g.mmsi[i] == g.mmsi[j]:
                continue
            if sts_pair_reason(types.get(int(g.mmsi[i])), types.get(int(g.mmsi[j]))):
                continue
            together = min(g.t1[i], g.t1[j]) - max(g.t0[i], g.t0[j])
            if together < p.min_alongside_h * H:
                continue
            best = _pair(g, i, j, types, p)
            if best["likelihood"] >= p.min_likelihood_both:
                a, b = (i, j) if (g.t0[i], g.mmsi[i]) <= (g.t0[j], g.mmsi[j]) else (j, i)
                like = float(best["likelihood"])
                out.append(_Hypothesis(like, like * p.both_dark_rank, (a, b), -1, best))
    return out


def _both_dark_event(g: DarkGaps, h: _Hypothesis, p: DarkStsParams) -> dict[str, Any]:
    """The event of two gaps ``h.gaps`` that met at ``h.data``'s point."""
    a, b = h.gaps
    best = h.data
    like = round(h.likelihood, 3)
    return event(
        "dark_sts",
        int(g.mmsi[a]),
        to_datetime(best["t0"]),
        to_datetime(best["t1"]),
        float(best["lat"]),
        float(best["lon"]),
        other=int(g.mmsi[b]),
        confidence=like,
        risk=60.0,
        details={
            "kind": "both_dark",
            "candidates": [{"mmsi": int(g.mmsi[b]), "likelihood": like, "reason": "both dark"}],
            "gaps": [
                {"mmsi": int(g.mmsi[x]), "start": to_datetime(g.t0[x]).isoformat()} for x in (a, b)
            ],
            "params": asdict(p),
        },
    )


def detect_dark_sts(
    tracks: pa.Table,
    loitering: pa.Table,
    *,
    data_end: datetime | None = None,
    places: PlaceIndex | None = None,
    reception: ReceptionMap | None = None,
    ship_types: dict[int, int] | None = None,
    params: DarkStsParams = DarkStsParams(),
) -> pa.Table:
    """``dark_sts`` events from tracks (sorted by track_id, ts) and their loitering events.

    Every hypothesis (a loiterer with one candidate's gap, or two gaps) is scored; then each
    gap and each loitering event goes to the most likely hypothesis that uses it (competing
    meetings close in place and time cannot share one silence). ``reception`` is the run's
    reception map (by default learned from ``tracks``); harbour craft and people carriers
    (``ship_types``, :func:`~watchkeeper.context.vessel_types.is_sts_candidate`) are never
    a side.
    """
    if tracks.num_rows == 0:
        return events_table([])
    g = gaps_of(tracks, data_end, places, reception, params)
    return dark_sts_events(g, loitering, ship_types or {}, params)


def gaps_of(
    tracks: pa.Table,
    data_end: datetime | None,
    places: PlaceIndex | None,
    reception: ReceptionMap | None,
    params: DarkStsParams,
) -> DarkGaps:
    """The :class:`DarkGaps` of ``tracks`` (a vessel's own: the gaps of several MMSI groups
    of one window concatenate to those of the whole window)."""
    c = cols(tracks)
    end_s = data_end.timestamp() if data_end is not None else float(c.t.max())
    cov = Coverage.of(reception if reception is not None else reception_map(tracks))
    return dark_gaps(c, end_s, params.speeds(), cov, places)


def dark_sts_events(
    gaps: DarkGaps, loitering: pa.Table, types: dict[int, int], params: DarkStsParams
) -> pa.Table:
    """``dark_sts`` events of a window's gaps and loitering events (any order: both are put
    in a canonical order first, so a window split in MMSI groups gives the same events)."""
    g = gaps.canonical()
    keys = [("mmsi", "ascending"), ("start", "ascending"), ("event_id", "ascending")]
    loiters = loitering.sort_by(keys).to_pylist() if loitering.num_rows else []
    cands, hyps = _loiter_hypotheses(loiters, g, types, params)
    rows = []
    for h in _assign(hyps + _both_dark_hypotheses(g, types, params)):
        if h.loiter >= 0:
            rows.append(_loiter_event(loiters[h.loiter], cands[h.loiter], h.data, params))
        else:
            rows.append(_both_dark_event(g, h, params))
    return events_table(rows)

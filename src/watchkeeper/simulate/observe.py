"""Observability: could a detector see this truth event in the data that was received?

A transmitting vessel is not always *received* (class B heard only by satellite, decoded one
pass in five; a regional satellite outage), and recall against events nobody received measures
the reception model, not the detectors. An event is ``observable`` when the received reports
(``truth/positions.parquet`` and ``truth/identities.parquet``: exactly the reports that
``traffic.nmea`` and ``traffic.csv`` carry, without the line noise) hold the minimum a detector
of its type needs (docs/evaluation.md states the rules):

- ``loitering``: >= 2 received positions >= 30 min apart inside the event;
- ``encounter``: the same, for both vessels;
- ``dark_sts``: the visible vessel as for loitering (or, dark too, silent throughout the event
  with positions before and after it); the dark partner has positions before and after;
- ``ais_gap``: a position at or before its start and, unless open, at or after its end;
- ``port_visit``: a position within 4 km of the port during the visit;
- ``zone_entry``: a position inside the zone during the stay and one before the entry;
- ``spoofing``: a position inside the event and another within 6 h of it;
- ``identity_change`` / ``draught_change``: a static report before and after the change (for
  a state held over a span, such as a fraudulent IMO: a static report inside it).

Decoys (confounders, :class:`~watchkeeper.simulate.fleet.Decoy`) get the same treatment per
type they must not produce: could the received data fool a detector of that type at all?
``encounter``: both vessels seen twice 30 min apart; ``loitering``: either one; ``dark_sts``:
the visible vessel seen so and the partner heard before the end (a vessel leaving coverage: a
position before its silence); ``ais_gap_deliberate``: a position before the silence;
``identity_change``: a static report.

Unobservable events keep their reason in ``details["unobservable"]``: ``ais_off`` when the
hull transmitted during less than half of the event, else ``not_received``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from shapely import contains_xy

from watchkeeper.simulate._geo import distance_m
from watchkeeper.simulate.fleet import Decoy, TruthNote
from watchkeeper.simulate.scenario import PORTS, ZONES

__all__ = [
    "ObserveParams",
    "Received",
    "Track",
    "decoy_observable",
    "is_observable",
    "mark_decoys",
    "mark_observable",
]

F64 = npt.NDArray[np.float64]
_EMPTY = np.zeros(0, dtype=np.float64)


@dataclass(frozen=True)
class ObserveParams:
    """The minimum a detector needs, per event type (sources in the comments)."""

    min_looks: int = 2  # two separate looks at the vessel ...
    min_span_s: float = 1_800.0  # ... 30 min apart: more than one satellite pass (12 min);
    # the loitering detector's min_observed_h
    port_radius_m: float = 4_000.0  # GFW port visits: exit beyond 4 km
    spoof_halo_s: float = 6 * 3_600.0  # AIS-gap threshold: a longer silence is a gap, not a jump
    slack_s: float = 1.0  # reports are stamped in whole seconds


@dataclass(frozen=True)
class Track:
    """One MMSI's received positions, sorted by time (scenario seconds)."""

    t: F64
    lat: F64
    lon: F64

    def window(self, a: float, b: float) -> slice:
        """Index range of the positions in ``[a, b]``."""
        return slice(
            int(np.searchsorted(self.t, a, side="left")),
            int(np.searchsorted(self.t, b, side="right")),
        )


_NO_TRACK = Track(_EMPTY, _EMPTY, _EMPTY)


@dataclass(frozen=True)
class Received:
    """What reached the data, per MMSI: positions and the times of static reports."""

    tracks: dict[int, Track]
    statics: dict[int, F64]

    @classmethod
    def of(cls, positions: pa.Table, identities: pa.Table, t0: float) -> Received:
        """From POSITIONS and IDENTITIES tables (times become seconds since ``t0``)."""
        m, t, order = _sorted(positions, t0)
        lat = positions.column("lat").to_numpy()[order]
        lon = positions.column("lon").to_numpy()[order]
        tracks = {k: Track(t[s], lat[s], lon[s]) for k, s in _groups(m)}
        mi, ti, _ = _sorted(identities, t0)
        return cls(tracks, {k: ti[s] for k, s in _groups(mi)})

    @classmethod
    def read(cls, folder: Path, t0: float) -> Received:
        """From a simulation's ``truth/`` folder (the received reports, no line noise)."""
        pos = pq.read_table(folder / "positions.parquet", columns=["mmsi", "ts", "lat", "lon"])
        ids = pq.read_table(folder / "identities.parquet", columns=["mmsi", "ts"])
        return cls.of(pos, ids, t0)

    def track(self, mmsi: int | None) -> Track:
        """Received positions of ``mmsi`` (empty when none)."""
        return _NO_TRACK if mmsi is None else self.tracks.get(mmsi, _NO_TRACK)

    def static_times(self, mmsi: int) -> F64:
        """Times of the received static reports of ``mmsi``."""
        return self.statics.get(mmsi, _EMPTY)


def _sorted(table: pa.Table, t0: float) -> tuple[npt.NDArray[np.int64], F64, npt.NDArray[np.intp]]:
    mmsi = table.column("mmsi").to_numpy()
    t = pc.cast(table.column("ts"), pa.int64()).to_numpy() / 1000.0 - t0
    order = np.lexsort((t, mmsi))
    return mmsi[order], np.asarray(t[order], dtype=np.float64), order


def _groups(mmsi: npt.NDArray[np.int64]) -> list[tuple[int, slice]]:
    heads = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]]) if mmsi.size else np.zeros(0, int)
    ends = np.r_[heads[1:], mmsi.size]
    return [(int(mmsi[a]), slice(int(a), int(b))) for a, b in zip(heads, ends, strict=True)]


# -- the rules -------------------------------------------------------------------------------

Rule = Callable[[TruthNote, float, Received, ObserveParams], bool]


def _n(w: slice) -> int:
    """Number of positions in an index range."""
    return int(w.stop - w.start)


def _looks(tr: Track, a: float, b: float, p: ObserveParams) -> bool:
    """At least ``min_looks`` positions in ``[a, b]`` spanning ``min_span_s``."""
    t = tr.t[tr.window(a, b)]
    return t.size >= p.min_looks and float(t[-1] - t[0]) >= p.min_span_s


def _around(tr: Track, a: float, b: float, p: ObserveParams) -> bool:
    """A position at or before ``a`` and one at or after ``b``."""
    return bool(tr.t.size > 0 and tr.t[0] <= a + p.slack_s and tr.t[-1] >= b - p.slack_s)


def _loitering(e: TruthNote, end: float, rx: Received, p: ObserveParams) -> bool:
    return _looks(rx.track(e.mmsi), e.start, end, p)


def _encounter(e: TruthNote, end: float, rx: Received, p: ObserveParams) -> bool:
    return _loitering(e, end, rx, p) and _looks(rx.track(e.other_mmsi), e.start, end, p)


def _dark_sts(e: TruthNote, end: float, rx: Received, p: ObserveParams) -> bool:
    vis = rx.track(e.mmsi)
    silent = _n(vis.window(e.start, end)) == 0
    seen = _looks(vis, e.start, end, p) or (silent and _around(vis, e.start, end, p))
    partner = e.other_mmsi is None or _around(rx.track(e.other_mmsi), e.start, end, p)
    return seen and partner


def _gap(e: TruthNote, end: float, rx: Received, p: ObserveParams) -> bool:
    tr = rx.track(e.mmsi)
    after = e.start if e.end is None else end  # an open gap needs a position before only
    return _around(tr, e.start, after, p)


def _port_visit(e: TruthNote, end: float, rx: Received, p: ObserveParams) -> bool:
    tr = rx.track(e.mmsi)
    w = tr.window(e.start, end)
    port = next((q for q in PORTS if q.name == e.details.get("port")), None)
    if port is None:
        return _n(w) > 0
    pts = np.array([port.berth, port.anchorage, (port.lat, port.lon)])
    d = distance_m(tr.lat[w][None, :], tr.lon[w][None, :], pts[:, :1], pts[:, 1:])
    return bool((d <= p.port_radius_m).any())


def _zone_entry(e: TruthNote, end: float, rx: Received, p: ObserveParams) -> bool:
    tr = rx.track(e.mmsi)
    w = tr.window(e.start, end)
    zone = ZONES.get(str(e.details.get("zone")))
    if zone is None:
        return _n(w) > 0 and w.start > 0
    inside = contains_xy(zone, tr.lon[w], tr.lat[w]).any()
    # The last position received before the entry must be outside: otherwise the data shows
    # the vessel in the zone all along and no entry can be seen.
    before = w.start - 1
    return bool(inside) and before >= 0 and not contains_xy(zone, tr.lon[before], tr.lat[before])


def _spoofing(e: TruthNote, end: float, rx: Received, p: ObserveParams) -> bool:
    tr = rx.track(e.mmsi)
    inside = tr.window(e.start, end)
    halo = tr.window(e.start - p.spoof_halo_s, end + p.spoof_halo_s)
    return _n(inside) > 0 and _n(halo) >= 2


def _static_change(e: TruthNote, end: float, rx: Received, p: ObserveParams) -> bool:
    t = rx.static_times(e.mmsi)
    if end - e.start > p.slack_s:  # a state held over a span (a fraudulent IMO)
        return bool(((t >= e.start) & (t <= end)).any())
    return bool((t < e.start).any() and (t >= e.start).any())


def _any_position(e: TruthNote, end: float, rx: Received, p: ObserveParams) -> bool:
    return _n(rx.track(e.mmsi).window(e.start, end)) > 0


RULES: dict[str, Rule] = {
    "loitering": _loitering,
    "encounter": _encounter,
    "dark_sts": _dark_sts,
    "ais_gap": _gap,
    "port_visit": _port_visit,
    "zone_entry": _zone_entry,
    "spoofing": _spoofing,
    "identity_change": _static_change,
    "draught_change": _static_change,
}


def is_observable(
    e: TruthNote, rx: Received, data_end: float, params: ObserveParams | None = None
) -> bool:
    """Whether the received reports hold what a detector of ``e.type`` needs at minimum."""
    end = data_end if e.end is None else e.end
    return bool(RULES.get(e.type, _any_position)(e, end, rx, params or ObserveParams()))


def mark_observable(
    events: list[TruthNote], rx: Received, data_end: float, params: ObserveParams | None = None
) -> list[TruthNote]:
    """``events`` with ``observable`` from the received reports; the reason of each
    unobservable one in ``details["unobservable"]`` (``ais_off`` when the hull transmitted
    during less than half of it, the rule ``observable`` held before, else ``not_received``)."""
    out = []
    for e in events:
        ok = is_observable(e, rx, data_end, params)
        details = dict(e.details)
        if not ok:
            details["unobservable"] = "not_received" if e.observable else "ais_off"
        out.append(TruthNote(**{**asdict(e), "observable": ok, "details": details}))
    return out


def _heard_before(tr: Track, t: float, p: ObserveParams) -> bool:
    return bool(tr.t.size > 0 and tr.t[0] <= t + p.slack_s)


def decoy_observable(
    d: Decoy, typ: str, rx: Received, data_end: float, params: ObserveParams | None = None
) -> bool:
    """Whether the received reports could make a detector of ``typ`` report decoy ``d``."""
    p = params or ObserveParams()
    end = data_end if d.end is None else d.end
    a, b = rx.track(d.mmsi), rx.track(d.other_mmsi)
    if typ == "encounter":
        return _looks(a, d.start, end, p) and _looks(b, d.start, end, p)
    if typ == "loitering":
        return _looks(a, d.start, end, p) or _looks(b, d.start, end, p)
    if typ == "dark_sts":
        if d.other_mmsi is None:
            return _heard_before(a, d.start, p)
        return _looks(a, d.start, end, p) and _heard_before(b, end, p)
    if typ == "ais_gap_deliberate":
        return _heard_before(a, d.start, p)
    if typ == "identity_change":
        t = rx.static_times(d.mmsi)
        return bool(((t >= d.start) & (t <= end)).any())
    return _n(a.window(d.start, end)) > 0


def mark_decoys(
    decoys: list[Decoy], rx: Received, data_end: float, params: ObserveParams | None = None
) -> list[dict[str, object]]:
    """The decoys as truth rows (times in scenario seconds) with ``observable`` per type."""
    return [
        {
            **asdict(d),
            "types": list(d.types),
            "observable": {t: decoy_observable(d, t, rx, data_end, params) for t in d.types},
        }
        for d in decoys
    ]

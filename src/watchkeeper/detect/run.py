"""Run every registered detector over a workspace: the local runner of a :mod:`.plan`.

The runner reads through the typed Workspace methods only. It makes two passes over the
windows of the plan: the first learns the detection context (anchorages from every window's
own days, merged so they do not depend on the windowing), stored in the workspace as
``detect_places`` and ``detect_zones``; the second runs :func:`run_window` on each window and
hands the kept parts to :func:`~watchkeeper.detect.plan.finish`. A window's work is a
function of (plan window, context, params) and the store it reads, so a distributed runner
can execute the same plan. Event ids are deterministic: a rerun replaces ``events`` with
identical rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.context.anchorages import (
    BerthCalls,
    berth_calls,
    learn_anchorages,
    stop_cells,
)
from watchkeeper.context.reception import ReceptionMap, merge_maps, reception_map
from watchkeeper.detect._lookup import ByMmsi
from watchkeeper.detect._track import cols
from watchkeeper.detect.context import (
    DetectionContext,
    anchorages_from_cells,
    build_context,
)
from watchkeeper.detect.events import events_table
from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.plan import Plan, Window, finish, keep, make_plan, with_window
from watchkeeper.detect.registry import AIS_GAP, REGISTRY, WindowData
from watchkeeper.schema import EVENTS, IDENTITIES, POSITIONS
from watchkeeper.store import Workspace
from watchkeeper.tracks import clean, segment

__all__ = [
    "ContextPart",
    "DetectParams",
    "detect_all",
    "detect_workspace",
    "learn_context",
    "merge_context",
    "run_window",
    "window_context",
]


def detect_all(
    positions: pa.Table,
    *,
    identities: pa.Table | None = None,
    data_start: datetime | None = None,
    data_end: datetime | None = None,
    history: tuple[pa.Table, datetime] | None = None,
    before: pa.Table | None = None,
    params: DetectParams | None = None,
    context: DetectionContext | None = None,
    types: Collection[str] | None = None,
) -> pa.Table:
    """All events of ``positions`` and ``identities`` (any order) as one ``events`` table.

    ``data_start``/``data_end`` bound the window the positions cover (silences reaching them
    may continue beyond; see the gap and draught detectors). ``history`` gives the draught
    detector the positions it looks back over and where they begin, when ``positions`` start
    later (a day window with a short halo); by default it uses ``positions``. ``before``
    (``mmsi``, ``ts``): positions just before ``positions`` begin, for the gap detector's
    look-back at how steadily a vessel was heard. ``context``
    defaults to one learned from ``positions`` alone. ``types``: only the detectors of these
    event types (they must not read another detector's events).
    """
    params = params or DetectParams()
    ids = IDENTITIES.empty_table() if identities is None else identities
    if positions.num_rows == 0 and ids.num_rows == 0:
        return events_table([])
    tracks = _by_track(segment(clean(positions), params.segment))
    if context is None:
        anchorages = learn_anchorages(tracks, params.anchorages)
        context = build_context(anchorages, params, reception_map(tracks))
    data = WindowData(
        tracks=tracks,
        identities=ids,
        where=_by_mmsi(tracks),
        places=context.place_index,
        zones=list(context.zones),
        resample_params=params.resample,
        data_start=data_start,
        data_end=data_end,
        history=history,
        before=None if before is None else _times_by_mmsi(before),
        reception=context.reception,
    )
    specs = [s for s in REGISTRY if types is None or str(s.type) in types]
    for spec in specs:
        data.found[spec.type] = spec.run(data, params.detectors[str(spec.type)])
    return pa.concat_tables(
        [EVENTS.empty_table()] + [data.found[s.type].cast(EVENTS) for s in specs]
    )


def _by_mmsi(tracks: pa.Table) -> ByMmsi:
    """Positions by (mmsi, time) for as-of lookups; no sort when tracks are in that order."""
    c = cols(tracks)
    same = c.mmsi[1:] == c.mmsi[:-1]
    ordered = np.all(c.mmsi[1:] >= c.mmsi[:-1]) and np.all(~same | (c.t[1:] >= c.t[:-1]))
    return ByMmsi(c.mmsi, c.t, c.lat, c.lon, c.sog) if ordered else ByMmsi.of(c)


def _times_by_mmsi(pos: pa.Table) -> ByMmsi:
    """Position times by (mmsi, time), for counting only (no coordinates)."""
    mmsi = pos.column("mmsi").to_numpy().astype(np.int64)
    t = pc.cast(pos.column("ts"), pa.timestamp("ms", "UTC")).cast(pa.int64()).to_numpy() / 1000.0
    order = np.lexsort((t, mmsi))
    nan = np.full(len(t), np.nan)
    return ByMmsi(mmsi[order], t[order], nan, nan, nan)


def _by_track(tracks: pa.Table) -> pa.Table:
    """Segmented positions (sorted by mmsi, ts) sorted by (track_id, ts): already so unless
    an MMSI was split into interleaved tracks, and a sort is a full copy of the table."""
    tid = tracks.column("track_id").to_numpy()
    if bool(np.all(tid[1:] >= tid[:-1])):
        return tracks
    return tracks.sort_by([("track_id", "ascending"), ("ts", "ascending")])


#: The position columns the detectors read (the others would only be copied by each sort).
_COLUMNS = ("mmsi", "ts", "lat", "lon", "sog_kn")


def _positions(
    ws: Workspace, lo: datetime, hi: datetime, mmsis: Sequence[int] | None = None
) -> pa.Table:
    """Positions with ``lo <= ts < hi`` (of ``mmsis`` only, if given), sorted by (mmsi, ts)
    in the store (cleaning's own sort is then cheap)."""
    return ws.positions(start=lo, end=hi, mmsis=mmsis, columns=_COLUMNS, order=True)


#: One window's share of the context (:func:`window_context`): its stop cells, berth calls
#: and reception map, partial aggregates of its own days that merge exactly.
ContextPart = tuple[pa.Table, BerthCalls, ReceptionMap]


def learn_context(ws: Workspace, plan: Plan, params: DetectParams) -> DetectionContext:
    """The context of a run: places learned from every window's own days (first pass).

    Crowded anchorages and berths (one vessel calling again and again) merge exactly across
    windows (the windows come in time order). The reception map is that of the whole run."""
    return merge_context([window_context(ws, w, params) for w in plan.windows], params)


def window_context(ws: Workspace, w: Window, params: DetectParams) -> ContextPart:
    """The :data:`ContextPart` of window ``w``, read from ``ws`` (windows are independent)."""
    tracks = segment(clean(_positions(ws, w.read_start, w.read_end)), params.segment)
    t = tracks.column("ts")
    own = tracks.filter(pc.and_(pc.greater_equal(t, w.start), pc.less(t, w.end)))
    return (
        stop_cells(own, params.anchorages),
        berth_calls(own, params.anchorages),
        reception_map(own),
    )


def merge_context(parts: Sequence[ContextPart], params: DetectParams) -> DetectionContext:
    """The context of a run from its windows' parts, in window (time) order."""
    anchorages = anchorages_from_cells(
        [p[0] for p in parts], params.anchorages, [p[1] for p in parts]
    )
    heard = [p[2] for p in parts]
    return build_context(anchorages, params, merge_maps(*heard) if heard else None)


def run_window(
    ws: Workspace,
    window: Window,
    context: DetectionContext,
    params: DetectParams,
    *,
    mmsis: Sequence[int] | None = None,
    types: Collection[str] | None = None,
) -> pa.Table:
    """The kept events of one window (with its ``window`` column), read from ``ws``.

    ``mmsis``: of these vessels only, and ``types``: of these detectors only (the live fast
    alerts: single-vessel types, whose events for a vessel depend on its data alone)."""
    pos = _positions(ws, window.read_start, window.read_end, mmsis)
    pos = _with_next(ws, pos, window)
    ids = ws.identities(start=window.identities_start, end=window.identities_end, mmsis=mmsis)
    ev = detect_all(
        pos,
        identities=ids,
        data_start=window.read_start,
        data_end=window.data_end,
        history=_draught_history(ws, ids, window.history_start, window.read_end),
        before=_before(ws, window, params, mmsis),
        params=params,
        context=context,
        types=types,
    )
    del pos
    return with_window(ev.filter(keep(ev, window)), window)


def _before(
    ws: Workspace, window: Window, params: DetectParams, mmsis: Sequence[int] | None = None
) -> pa.Table | None:
    """Position times in the gap detector's look-back before the window's read range (none
    for the first window: nothing precedes it)."""
    if window.index == 0:
        return None
    lo = window.read_start - timedelta(hours=params.of(AIS_GAP).prior_h)
    cols = ("mmsi", "ts")
    return ws.positions(start=lo, end=window.read_start, mmsis=mmsis, columns=cols, order=False)


def _with_next(ws: Workspace, pos: pa.Table, window: Window) -> pa.Table:
    """``pos`` and each vessel's next position beyond the window's read range: a silence
    that outlasts the window is then seen whole (its end, duration and cause), as one window
    over all the data sees it."""
    if window.last or pos.num_rows == 0:
        return pos
    mmsis = pc.unique(pos.column("mmsi")).to_pylist()
    nxt = ws.next_positions(mmsis, window.read_end, _COLUMNS).cast(pos.schema)
    if nxt.num_rows == 0:
        return pos
    return pa.concat_tables([pos, nxt]).sort_by([("mmsi", "ascending"), ("ts", "ascending")])


def detect_workspace(ws: Workspace, *, params: DetectParams | None = None) -> pa.Table:
    """Detect over every day of ``ws``, write tables ``events`` (and the context) and return
    the events."""
    params = params or DetectParams()
    plan = make_plan(ws.day_counts("positions"), ws.last_time("positions"), params)
    context = learn_context(ws, plan, params)
    events = finish([run_window(ws, w, context, params) for w in plan.windows])
    # one transaction: an interrupted run leaves the previous events and context in place
    ws.write_tables({**context.to_tables(), "events": events})
    return events


def _draught_history(
    ws: Workspace, ids: pa.Table, lo: datetime, hi: datetime
) -> tuple[pa.Table, datetime]:
    """Positions from ``lo`` to ``hi`` of the vessels that reported two draughts in ``ids``:
    the draught detector looks back further than a day window's halo, for a few vessels."""
    draughts = ids.filter(pc.is_valid(ids.column("draught_m"))).group_by("mmsi")
    counts = draughts.aggregate([("draught_m", "count_distinct")])
    mmsis = pc.filter(counts.column("mmsi"), pc.greater(counts.column(1), 1)).to_pylist()
    if not mmsis:
        return POSITIONS.empty_table(), lo
    return _positions(ws, lo, hi, mmsis), lo

"""Run every registered detector over a workspace: the local runner of a :mod:`.plan`.

The runner reads through the typed Workspace methods only. It makes two passes over the
windows of the plan: the first learns the detection context (anchorages from every window's
own days, merged so they do not depend on the windowing), stored in the workspace as
``detect_places`` and ``detect_zones``; the second runs :func:`run_window` on each window and
hands the kept parts to :func:`~watchkeeper.detect.plan.finish`. A window's work is a
function of (plan window, context, params) and the store it reads, so a distributed runner
can execute the same plan. Event ids are deterministic: a rerun replaces ``events`` with
identical rows.

A window of more than ``unit_positions`` positions (``Window.parts`` > 1) is split so that
memory is bounded by the unit, whatever the size of the day: each pass reads one MMSI group
at a time (a hash of the MMSI, filtered in the store's scan). Every single-vessel detector
runs per group (a vessel's events depend on its own positions and the context only; the
"silent together" count of gaps reads every group's silences, gathered by the context pass).
The pairwise detectors then run once per window (:func:`pair_stage`): encounters over spatial
tiles of the groups' slow resampled tracks (each tile reads a halo of the encounter distance
and keeps the close pairs anchored in its core, :func:`tile_encounters`), dark STS over every
group's gaps and loitering events (a few per vessel). The events are those of the window held
whole (``tests/detect/test_detect_units.py``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from watchkeeper.context.anchorages import (
    BerthCalls,
    berth_calls,
    learn_anchorages,
    stop_cells,
)
from watchkeeper.context.reception import ReceptionMap, add_maps, merge_maps, reception_map
from watchkeeper.detect._dark_gaps import DarkGaps
from watchkeeper.detect._lookup import ByMmsi
from watchkeeper.detect._track import cols
from watchkeeper.detect.ais_gap import silences
from watchkeeper.detect.context import (
    DetectionContext,
    anchorages_from_cells,
    build_context,
)
from watchkeeper.detect.dark_sts import dark_sts_events, gaps_of
from watchkeeper.detect.encounter import (
    EncounterParams,
    close_pairs,
    encounters_of_pairs,
    slow_tracks,
    sort_pairs,
)
from watchkeeper.detect.events import events_table
from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.plan import (
    TILE_CELL_DEG,
    Plan,
    Window,
    finish,
    in_core,
    keep,
    make_plan,
    make_tiles,
    with_window,
)
from watchkeeper.detect.registry import (
    AIS_GAP,
    DARK_STS,
    ENCOUNTER,
    LOITERING,
    REGISTRY,
    Scope,
    WindowData,
)
from watchkeeper.schema import EVENTS, IDENTITIES, POSITIONS
from watchkeeper.store import Workspace
from watchkeeper.tracks import clean, segment

__all__ = [
    "ContextPart",
    "DetectParams",
    "UnitResult",
    "combine_parts",
    "detect_all",
    "detect_workspace",
    "learn_context",
    "merge_context",
    "pair_stage",
    "run_unit",
    "run_window",
    "tile_encounters",
    "unit_context",
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
    silences: pa.Table | None = None,
    types: Collection[str] | None = None,
) -> pa.Table:
    """All events of ``positions`` and ``identities`` (any order) as one ``events`` table.

    ``data_start``/``data_end`` bound the window the positions cover (silences reaching them
    may continue beyond; see the gap and draught detectors). ``history`` gives the draught
    detector the positions it looks back over and where they begin, when ``positions`` start
    later (a day window with a short halo); by default it uses ``positions``. ``before``
    (``mmsi``, ``ts``): positions just before ``positions`` begin, for the gap detector's
    look-back at how steadily a vessel was heard. ``context``
    defaults to one learned from ``positions`` alone. ``silences``: where every vessel of the
    window fell silent (:func:`~.ais_gap.silences`), when ``positions`` hold one MMSI group.
    ``types``: only the detectors of these event types (they must not read another
    detector's events).
    """
    params = params or DetectParams()
    ids = IDENTITIES.empty_table() if identities is None else identities
    if positions.num_rows == 0 and ids.num_rows == 0:
        return events_table([])
    data = _window_data(
        positions, ids, data_start, data_end, history, before, params, context, silences
    )
    specs = [s for s in REGISTRY if types is None or str(s.type) in types]
    for spec in specs:
        data.found[spec.type] = spec.run(data, params.detectors[str(spec.type)])
    return pa.concat_tables(
        [EVENTS.empty_table()] + [data.found[s.type].cast(EVENTS) for s in specs]
    )


def _window_data(
    positions: pa.Table,
    ids: pa.Table,
    data_start: datetime | None,
    data_end: datetime | None,
    history: tuple[pa.Table, datetime] | None,
    before: pa.Table | None,
    params: DetectParams,
    context: DetectionContext | None,
    silences: pa.Table | None,
) -> WindowData:
    """The detectors' inputs (see :func:`detect_all`)."""
    tracks = _by_track(segment(clean(positions), params.segment))
    if context is None:
        anchorages = learn_anchorages(tracks, params.anchorages)
        context = build_context(anchorages, params, reception_map(tracks))
    return WindowData(
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
        silences=silences,
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
    ws: Workspace,
    lo: datetime,
    hi: datetime,
    mmsis: Sequence[int] | None = None,
    part: tuple[int, int] | None = None,
) -> pa.Table:
    """Positions with ``lo <= ts < hi`` (of ``mmsis`` and MMSI group ``part`` only, if
    given), sorted by (mmsi, ts) in the store (cleaning's own sort is then cheap)."""
    return ws.positions(start=lo, end=hi, mmsis=mmsis, columns=_COLUMNS, order=True, part=part)


@dataclass(frozen=True)
class ContextPart:
    """One window's (or one MMSI group's of it) share of the context (:func:`window_context`):
    partial aggregates of its own days that merge exactly, and where its vessels fell
    silent."""

    cells: pa.Table  # stop cells (anchorage learning)
    berths: BerthCalls
    reception: ReceptionMap
    silences: pa.Table  # ais_gap.silences of the window's tracks (its halos included)


def learn_context(ws: Workspace, plan: Plan, params: DetectParams) -> DetectionContext:
    """The context of a run: places learned from every window's own days (first pass).

    Crowded anchorages and berths (one vessel calling again and again) merge exactly across
    windows (the windows come in time order). The reception map is that of the whole run."""
    return merge_context([window_context(ws, w, params) for w in plan.windows], params)


def window_context(ws: Workspace, w: Window, params: DetectParams) -> ContextPart:
    """The :class:`ContextPart` of window ``w``, read from ``ws`` (windows are independent;
    a window split in MMSI groups reads one group at a time)."""
    return combine_parts([unit_context(ws, w, g, params) for g in range(w.parts)])


def unit_context(ws: Workspace, w: Window, part: int, params: DetectParams) -> ContextPart:
    """The :class:`ContextPart` of MMSI group ``part`` of window ``w``."""
    pos = _positions(ws, w.read_start, w.read_end, part=(part, w.parts))
    tracks = segment(clean(_with_next(ws, pos, w)), params.segment)
    del pos
    t = tracks.column("ts")
    own = tracks.filter(pc.and_(pc.greater_equal(t, w.start), pc.less(t, w.end)))
    return ContextPart(
        stop_cells(own, params.anchorages),
        berth_calls(own, params.anchorages),
        reception_map(own),
        silences(_by_track(tracks), w.data_end, params.of(AIS_GAP)),
    )


def combine_parts(parts: Sequence[ContextPart]) -> ContextPart:
    """The :class:`ContextPart` of a window from those of its MMSI groups (disjoint vessels:
    rows concatenate, reception counts add up)."""
    if len(parts) == 1:
        return parts[0]
    return ContextPart(
        pa.concat_tables([p.cells for p in parts]),
        BerthCalls(
            pa.concat_tables([p.berths.calls for p in parts]),
            pa.concat_tables([p.berths.sails for p in parts]),
        ),
        add_maps(*(p.reception for p in parts)),
        pa.concat_tables([p.silences for p in parts]),
    )


def merge_context(parts: Sequence[ContextPart], params: DetectParams) -> DetectionContext:
    """The context of a run from its windows' parts, in window (time) order."""
    anchorages = anchorages_from_cells(
        [p.cells for p in parts], params.anchorages, [p.berths for p in parts]
    )
    heard = [p.reception for p in parts]
    reception = merge_maps(*heard) if heard else None
    return build_context(anchorages, params, reception, [p.silences for p in parts])


def run_window(
    ws: Workspace,
    window: Window,
    context: DetectionContext,
    params: DetectParams,
    *,
    mmsis: Sequence[int] | None = None,
    types: Collection[str] | None = None,
) -> pa.Table:
    """The kept events of one window (with its ``window`` column), read from ``ws``; a
    window split in MMSI groups runs them one after the other, then the pairwise stage.

    ``mmsis``: of these vessels only, and ``types``: of these detectors only (the live fast
    alerts: single-vessel types, whose events for a vessel depend on its data alone; such a
    run is never split)."""
    if window.parts == 1 or mmsis is not None or types is not None:
        return _whole_window(ws, window, context, params, mmsis, types)
    with tempfile.TemporaryDirectory(prefix="wk-detect-") as scratch:
        units = [
            run_unit(ws, window, g, context, params, Path(scratch)) for g in range(window.parts)
        ]
        return pair_stage(window, units, context, params)


def _whole_window(
    ws: Workspace,
    window: Window,
    context: DetectionContext,
    params: DetectParams,
    mmsis: Sequence[int] | None = None,
    types: Collection[str] | None = None,
) -> pa.Table:
    """The kept events of a window held whole (not split)."""
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
        silences=_silences(context, window),
        types=types,
    )
    del pos
    return with_window(ev.filter(keep(ev, window)), window)


def _silences(context: DetectionContext, window: Window) -> pa.Table | None:
    """Where every vessel of ``window`` fell silent (None when the context has no record)."""
    return context.silences[window.index] if window.index < len(context.silences) else None


@dataclass(frozen=True)
class UnitResult:
    """What one MMSI group of a split window gives (:func:`run_unit`): its kept events of
    single-vessel detectors, and the per-vessel inputs of the pairwise ones."""

    events: pa.Table  # kept events (with the ``window`` column)
    loitering: pa.Table  # every loitering event (dark STS reads them, kept or not)
    gaps: DarkGaps  # its vessels' gaps as dark STS reads them
    ship_types: dict[int, int]
    slow: str  # Parquet file of its slow resampled tracks (encounter tiles read it)
    cells: pa.Table  # slow points per tile cell (cy, cx, n): where tiles are cut


_PAIRWISE = frozenset(s.type for s in REGISTRY if s.scope is Scope.PAIR)


def run_unit(
    ws: Workspace,
    window: Window,
    part: int,
    context: DetectionContext,
    params: DetectParams,
    scratch: Path,
) -> UnitResult:
    """MMSI group ``part`` of a split ``window``: every single-vessel detector over its
    vessels (a vessel's events depend on its own positions and the context only), and what
    the pairwise stage needs from them; the slow resampled tracks go to ``scratch``."""
    group = (part, window.parts)
    pos = _with_next(ws, _positions(ws, window.read_start, window.read_end, part=group), window)
    ids = ws.identities(start=window.identities_start, end=window.identities_end, part=group)
    data = _window_data(
        pos,
        ids,
        window.read_start,
        window.data_end,
        _draught_history(ws, ids, window.history_start, window.read_end),
        _before(ws, window, params, part=group),
        params,
        context,
        _silences(context, window),
    )
    del pos
    for spec in REGISTRY:
        if spec.type not in _PAIRWISE:
            data.found[spec.type] = spec.run(data, params.detectors[str(spec.type)])
    ev = pa.concat_tables(
        [data.found[s.type].cast(EVENTS) for s in REGISTRY if s.type not in _PAIRWISE]
    )
    slow = slow_tracks(data.resampled, params.of(ENCOUNTER))
    path = scratch / f"slow-w{window.index}-p{part}.parquet"
    # sorted by latitude in small row groups: a tile's read skips the groups outside its band
    pq.write_table(slow.sort_by("lat"), path, row_group_size=_SPILL_ROWS)
    gaps = gaps_of(data.tracks, data.data_end, data.places, data.reception, params.of(DARK_STS))
    return UnitResult(
        with_window(ev.filter(keep(ev, window)), window),
        data.found[LOITERING.type],
        gaps,
        data.ship_types,
        str(path),
        _tile_cells(slow),
    )


def _tile_cells(points: pa.Table) -> pa.Table:
    """Points per tile cell (``cy``, ``cx``, ``n``) of :data:`~.plan.TILE_CELL_DEG`."""
    lat, lon = points.column("lat").to_numpy(), points.column("lon").to_numpy()
    cells = pa.table(
        {
            "cy": np.floor(lat / TILE_CELL_DEG).astype(np.int64),
            "cx": np.floor(lon / TILE_CELL_DEG).astype(np.int64),
        }
    )
    agg = cells.group_by(["cy", "cx"]).aggregate([("cy", "count")])
    return agg.rename_columns(["cy", "cx", "n"])


def pair_stage(
    window: Window, units: Sequence[UnitResult], context: DetectionContext, params: DetectParams
) -> pa.Table:
    """The kept events of a split window: its groups' events, and the pairwise detectors'
    over all groups: encounters by spatial tile (:func:`tile_encounters`), dark STS over
    every group's gaps and loitering events (a few per vessel) at once."""
    types: dict[int, int] = {}
    for u in units:
        types.update(u.ship_types)
    found = [
        tile_encounters(units, context, types, params),
        dark_sts_events(
            DarkGaps.concat([u.gaps for u in units]),
            pa.concat_tables([u.loitering for u in units]),
            types,
            params.of(DARK_STS),
        ),
    ]
    ev = pa.concat_tables([f.cast(EVENTS) for f in found])
    return pa.concat_tables(
        [*(u.events for u in units), with_window(ev.filter(keep(ev, window)), window)]
    )


def tile_encounters(
    units: Sequence[UnitResult],
    context: DetectionContext,
    types: dict[int, int],
    params: DetectParams,
) -> pa.Table:
    """Encounters of a split window: close pairs found tile by tile (each tile reads the slow
    points of its core and a halo of the search distance, and keeps the pairs whose first
    track's point lies in its core: every pair found once), then runs over the pairs with
    the sightings of their tracks only."""
    p = params.of(ENCOUNTER)
    cells = (
        pa.concat_tables([u.cells for u in units]).group_by(["cy", "cx"]).aggregate([("n", "sum")])
    )
    cy, cx, n = (cells.column(c).to_numpy() for c in ("cy", "cx", "n_sum"))
    slow = ds.dataset([u.slow for u in units], format="parquet")
    scratch = Path(units[0].slow).parent if units else Path(tempfile.gettempdir())
    tiles = make_tiles(cy, cx, n, tile_points(params), p.max_distance_m)
    files, per_track = [], []
    for k, tile in enumerate(tiles):
        pairs = _close_pairs_by_slice(slow.to_table(filter=_in_boxes(tile.read_boxes())), p)
        lat, lon = pairs.column("lat_a").to_numpy(), pairs.column("lon_a").to_numpy()
        pairs = pairs.filter(pa.array(in_core(lat, lon, tile)))
        path = scratch / f"pairs-{Path(units[0].slow).stem}-t{k}.parquet"
        pq.write_table(pairs, path)
        files.append(str(path))
        per_track.append(pairs.group_by("a").aggregate([("a", "count")]))
    if not files:
        return EVENTS.empty_table()
    spilled = ds.dataset(files, format="parquet")
    counts = pa.concat_tables(per_track).group_by("a").aggregate([("a_count", "sum")])
    counts = counts.sort_by("a")
    a, rows = counts.column("a").to_numpy(), counts.column("a_count_sum").to_numpy()
    found = []
    for lo, hi in _ranges(a, rows, params.unit_positions):
        pairs = sort_pairs(spilled.to_table(filter=(ds.field("a") >= lo) & (ds.field("a") <= hi)))
        tracks = np.unique(np.concatenate([pairs.column(c).to_numpy() for c in ("a", "b")]))
        sightings = slow.to_table(filter=ds.field("track_id").isin(pa.array(tracks, pa.int64())))
        sightings = sightings.sort_by([("track_id", "ascending"), ("slice", "ascending")])
        found.append(encounters_of_pairs(pairs, sightings, context.place_index, types, p))
    return pa.concat_tables([f.cast(EVENTS) for f in found]) if found else EVENTS.empty_table()


def _close_pairs_by_slice(points: pa.Table, p: EncounterParams) -> pa.Table:
    """:func:`close_pairs` of ``points`` a share of the time slices at a time (pairs are
    within one slice: the same pairs, in a fraction of the join's memory where a dense port
    has many), in :func:`close_pairs`' order."""
    shares = -(-points.num_rows // _PAIR_POINTS)
    if shares <= 1:
        return close_pairs(points, p)
    k = points.column("slice").to_numpy()
    found = [close_pairs(points.filter(pa.array(k % shares == i)), p) for i in range(shares)]
    return sort_pairs(pa.concat_tables(found))


#: Points per close-pair join (a tile's points are joined a share of its slices at a time).
_PAIR_POINTS = 50_000

#: Rows per row group of the spilled slow tracks (a tile reads only the groups of its band).
_SPILL_ROWS = 65_536


def tile_points(params: DetectParams) -> int:
    """Slow resampled points per encounter tile: an eighth of ``unit_positions`` (the close-
    pair join holds each point's probe cells and its close pairs: measured about 2.3 kB per
    point on the real-shaped days, against ~0.86 kB per position of a unit)."""
    return max(1, params.unit_positions // 8)


def _ranges(
    a: npt.NDArray[np.int64], rows: npt.NDArray[np.int64], budget: int
) -> list[tuple[int, int]]:
    """Ranges [lo, hi] of track ids ``a`` (ascending) whose ``rows`` add up to at most
    ``budget`` (a track above it is a range alone): a pair's rows all fall in one range."""
    out: list[tuple[int, int]] = []
    size = 0
    for track, n in zip(a.tolist(), rows.tolist(), strict=True):
        if out and size + n <= budget:
            out[-1] = (out[-1][0], track)
            size += n
        else:
            out.append((track, track))
            size = n
    return out


def _in_boxes(boxes: Sequence[tuple[float, float, float, float]]) -> ds.Expression:
    """Points inside any of ``boxes`` (south, north, west, east; closed)."""
    lat, lon = ds.field("lat"), ds.field("lon")
    out = None
    for s, n, w, e in boxes:
        box = (lat >= s) & (lat <= n) & (lon >= w) & (lon <= e)
        out = box if out is None else out | box
    assert out is not None
    return out


def _before(
    ws: Workspace,
    window: Window,
    params: DetectParams,
    mmsis: Sequence[int] | None = None,
    part: tuple[int, int] | None = None,
) -> pa.Table | None:
    """Position times in the gap detector's look-back before the window's read range (none
    for the first window: nothing precedes it), of MMSI group ``part`` if given."""
    if window.index == 0:
        return None
    lo = window.read_start - timedelta(hours=params.of(AIS_GAP).prior_h)
    cols = ("mmsi", "ts")
    return ws.positions(
        start=lo, end=window.read_start, mmsis=mmsis, columns=cols, order=False, part=part
    )


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

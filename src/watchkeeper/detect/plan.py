"""Detection as a plan: windows, halos, the keep rule and stitching, as pure functions.

Consecutive days are grouped into windows of at most ``window_positions`` positions (one day
per window on a big feed, the whole data on a small one), so memory is bounded by the window.
Each window [D, E) is processed with positions from ``pre_halo_h`` hours before D to
``post_halo_h`` after E. Events anchored in the window are kept (:func:`keep`); so are the
runs (stitched types of the registry) that start in its halos: a run cut by a window edge is
seen in part by two windows, and the parts that overlap are stitched into one event (the
start and id of the earliest part, the end and the state at the end seen by the later window,
the duration over the whole run: :func:`_merged_details`). Events across
midnight are thus found once and whole, without re-processing long halos (the halos only
give each detector its context: a 6 h gap must fit in both halos together).

Nothing here reads or writes: a runner (``detect/run.py`` locally, a Dask runner later)
executes the windows in any order or in parallel and hands the parts to :func:`finish`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.registry import DRAUGHT_CHANGE, REGISTRY, Anchor
from watchkeeper.schema import EVENTS
from watchkeeper.tracks.build import parse_time

__all__ = [
    "Plan",
    "Tile",
    "Window",
    "anchor",
    "finish",
    "group_days",
    "in_core",
    "keep",
    "make_plan",
    "make_tiles",
    "mmsi_group",
    "parts_of",
    "stitch",
]


@dataclass(frozen=True)
class Window:
    """One unit of work: the days it owns and the time ranges it reads."""

    index: int
    first_day: str
    last_day: str
    start: datetime  # the window owns events anchored in [start, end)
    end: datetime
    read_start: datetime  # positions are read from read_start (start - pre halo) ...
    read_end: datetime  # ... to read_end (end + post halo)
    identities_start: datetime  # identity reports look back further (identity_halo_h) ...
    identities_end: datetime  # ... and ahead: a new value is confirmed by later reports
    history_start: datetime  # the draught detector's look-back for the few that need it
    data_end: datetime  # where all the data ends (a silence open in the window reaches it)
    last: bool  # no data beyond this window: open gaps stay open
    parts: int = 1  # MMSI groups the window is split into (:func:`mmsi_group`)


@dataclass(frozen=True)
class Plan:
    """The windows of a run and the end of the data."""

    windows: tuple[Window, ...]
    data_end: datetime | None


def group_days(day_counts: Mapping[str, int], budget: int) -> list[tuple[str, str]]:
    """Consecutive days grouped into windows (first, last day) of at most ``budget``
    positions (a day above it is a window of its own)."""
    out: list[tuple[str, str]] = []
    size = 0
    for day in sorted(day_counts):
        if out and size + day_counts[day] <= budget:
            out[-1] = (out[-1][0], day)
            size += day_counts[day]
        else:
            out.append((day, day))
            size = day_counts[day]
    return out


def make_plan(
    day_counts: Mapping[str, int], data_end: datetime | None, params: DetectParams
) -> Plan:
    """The windows over days with ``day_counts`` positions, the last position at ``data_end``."""
    pre, post = timedelta(hours=params.pre_halo_h), timedelta(hours=params.post_halo_h)
    ids_back = timedelta(hours=params.identity_halo_h)
    look_back = timedelta(hours=params.of(DRAUGHT_CHANGE).lookback_h)
    windows = []
    for i, (first, last) in enumerate(group_days(day_counts, params.window_positions)):
        lo, hi = parse_time(first), parse_time(last) + timedelta(days=1)
        size = sum(n for day, n in day_counts.items() if first <= day <= last)
        # the runner adds each vessel's next position beyond read_end: a silence still open
        # in the window is open to the end of all the data
        end = hi + post if data_end is None else data_end
        windows.append(
            Window(
                index=i,
                first_day=first,
                last_day=last,
                start=lo,
                end=hi,
                read_start=lo - pre,
                read_end=hi + post,
                identities_start=lo - ids_back,
                identities_end=hi + ids_back,
                history_start=lo - look_back - pre,
                data_end=end,
                last=data_end is None or hi + post >= data_end,
                parts=parts_of(size, params.unit_positions),
            )
        )
    return Plan(tuple(windows), data_end)


def parts_of(positions: int, budget: int) -> int:
    """MMSI groups a window of ``positions`` is split into: each about ``budget`` or less."""
    return max(1, -(-positions // max(budget, 1)))


def mmsi_group(mmsi: npt.NDArray[np.int64], parts: int) -> npt.NDArray[np.int64]:
    """The MMSI group (0 .. ``parts`` - 1) of each MMSI: a multiplicative hash, so that
    consecutive MMSIs (a fleet, a copied day) spread over the groups. The store evaluates the
    same expression in its scan (``part`` of ``Store.positions``)."""
    m = np.asarray(mmsi, dtype=np.int64)
    return np.asarray(((m * 2654435761) % 4294967296) % parts, dtype=np.int64)


#: Cell (degrees) of the histogram that spatial tiles are cut from.
TILE_CELL_DEG = 0.25
_M_PER_DEG = 111_000.0  # a degree of latitude is 111.2 km: a halo in degrees errs wide


@dataclass(frozen=True)
class Tile:
    """A spatial unit of the pairwise stage: its core [south, north) x [west, east) owns the
    pairs anchored in it; it reads the points of its occupied cells (``occupied``: south,
    north, west, east, cell-aligned) and up to ``halo_m`` beyond (the search radius)."""

    south: float
    north: float
    west: float
    east: float
    halo_m: float
    occupied: tuple[float, float, float, float] | None = None  # default: the core

    def read_boxes(self) -> list[tuple[float, float, float, float]]:
        """(south, north, west, east) boxes to read: the occupied part of the core and its
        halo, cut in two where the halo crosses the antimeridian (all longitudes near a
        pole)."""
        south, north, west, east = self.occupied or (self.south, self.north, self.west, self.east)
        dlat = self.halo_m / _M_PER_DEG
        s, n = max(-90.0, south - dlat), min(90.0, north + dlat)
        edge = max(abs(s), abs(n))
        if edge >= 89.0:
            return [(s, n, -180.0, 180.0)]
        dlon = dlat / float(np.cos(np.radians(edge)))
        w, e = west - dlon, east + dlon
        if e - w >= 360.0:
            return [(s, n, -180.0, 180.0)]
        if w < -180.0 or e > 180.0:
            boxes = [(s, n, max(w, -180.0), min(e, 180.0))]
            if w < -180.0:
                boxes.append((s, n, w + 360.0, 180.0))
            if e > 180.0:
                boxes.append((s, n, -180.0, e - 360.0))
            return boxes
        return [(s, n, w, e)]


def in_core(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], tile: Tile) -> Any:
    """Whether each point lies in ``tile``'s core (cores partition the globe)."""
    return (lat >= tile.south) & (lat < tile.north) & (lon >= tile.west) & (lon < tile.east)


def make_tiles(
    cy: npt.NDArray[np.int64],
    cx: npt.NDArray[np.int64],
    n: npt.NDArray[np.int64],
    budget: int,
    halo_m: float,
    cell_deg: float = TILE_CELL_DEG,
) -> list[Tile]:
    """Tiles whose cores partition the globe, cut from a histogram of points per cell
    (``cy``, ``cx`` = floor(lat, lon / cell_deg), ``n`` points) at weighted medians until each
    holds at most ``budget`` points (a single cell above it stays one tile); regions without
    points get no tile."""
    top = (int(np.floor(-90.0 / cell_deg)), int(np.ceil(90.0 / cell_deg)) + 1)
    side = (int(np.floor(-180.0 / cell_deg)), int(np.ceil(180.0 / cell_deg)) + 1)
    cy, cx, n = np.asarray(cy), np.asarray(cx), np.asarray(n)
    regions = _split(cy, cx, n, (*top, *side), budget)

    def deg(i: int, lo: int, hi: int, limit: float) -> float:
        return limit + 0.001 if i == hi else (-limit if i == lo else i * cell_deg)

    tiles = []
    for y0, y1, x0, x1 in regions:
        inside = (cy >= y0) & (cy < y1) & (cx >= x0) & (cx < x1) & (n > 0)
        ys, xs = cy[inside], cx[inside]
        box = (
            float(ys.min() * cell_deg),
            float((ys.max() + 1) * cell_deg),
            float(xs.min() * cell_deg),
            float((xs.max() + 1) * cell_deg),
        )
        core = (deg(y0, *top, 90.0), deg(y1, *top, 90.0), deg(x0, *side, 180.0))
        tiles.append(Tile(*core, deg(x1, *side, 180.0), halo_m, box))
    return tiles


def _split(
    cy: npt.NDArray[np.int64],
    cx: npt.NDArray[np.int64],
    n: npt.NDArray[np.int64],
    region: tuple[int, int, int, int],
    budget: int,
) -> list[tuple[int, int, int, int]]:
    """Cell-index regions (y0, y1, x0, x1), half-open, of at most ``budget`` points."""
    y0, y1, x0, x1 = region
    inside = (cy >= y0) & (cy < y1) & (cx >= x0) & (cx < x1) & (n > 0)
    if not inside.any():
        return []
    ys, xs, ns = cy[inside], cx[inside], n[inside]
    if int(ns.sum()) <= budget or (ys.min() == ys.max() and xs.min() == xs.max()):
        return [region]
    axis, lo = (ys, ys.min()) if ys.max() - ys.min() >= xs.max() - xs.min() else (xs, xs.min())
    order = np.argsort(axis, kind="stable")
    half = np.searchsorted(np.cumsum(ns[order]), ns.sum() / 2.0)
    cut = max(int(axis[order][min(half, len(order) - 1)]), int(lo) + 1)
    if axis is ys:
        parts = [(y0, cut, x0, x1), (cut, y1, x0, x1)]
    else:
        parts = [(y0, y1, x0, cut), (y0, y1, cut, x1)]
    return [r for p in parts for r in _split(cy, cx, n, p, budget)]


_STITCHED = tuple(str(s.type) for s in REGISTRY if s.stitched)
_SUBJECT = {str(s.type): s.subject for s in REGISTRY if s.subject}
_AT_END = [str(s.type) for s in REGISTRY if s.anchor is Anchor.END]
_AT_END_IF_NEW = [str(s.type) for s in REGISTRY if s.anchor is Anchor.END_IF_FIRST_NEW]


def anchor(ev: pa.Table) -> pa.ChunkedArray:
    """The time that assigns an event to one window (the registry's ``anchor``): its start,
    or for types known only at their end (a draught change; an identity change of a value,
    evidence ``first_new``), their end."""
    typ, evidence = ev.column("type"), ev.column("evidence")
    if_new = pc.and_(
        pc.is_in(typ, pa.array(_AT_END_IF_NEW, pa.string())),
        pc.fill_null(pc.match_substring(evidence, '"first_new"'), False),
    )
    late = pc.and_(
        pc.or_(pc.is_in(typ, pa.array(_AT_END, pa.string())), if_new),
        pc.is_valid(ev.column("end")),
    )
    return pc.if_else(late, ev.column("end"), ev.column("start"))


def keep(ev: pa.Table, window: Window) -> pa.ChunkedArray:
    """Events of ``window``: anchored in it, or, for runs, anywhere in its halos too (the
    parts seen by two windows are stitched)."""
    start = pc.cast(anchor(ev), pa.int64())
    run = pc.is_in(ev.column("type"), pa.array(_STITCHED, pa.string()))
    first = pc.if_else(run, _ms(window.read_start), _ms(window.start))
    last = pc.if_else(run, _ms(window.read_end), _ms(window.end))
    return pc.and_(pc.greater_equal(start, first), pc.less(start, last))


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _subject(kind: str, details: str | None) -> str | None:
    """What a run is about beyond its vessels (the zone entered)."""
    if kind not in _SUBJECT or not details:
        return None
    value = json.loads(details).get(_SUBJECT[kind])
    return None if value is None else str(value)


def stitch(events: pa.Table) -> pa.Table:
    """Merge the parts of each run (stitched types) that two windows saw.

    ``events`` carries a ``window`` column (index of the window that found each row). Rows
    of one type, vessel pair and subject whose intervals overlap are one run: it keeps the
    earliest part's row, with the end of the part found by the latest window (an earlier
    window's end is cut at its edge, or null while the run went on beyond it).
    """
    rows = events.to_pylist()
    runs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    out: list[dict[str, Any]] = []
    for r in rows:
        if r["type"] in _STITCHED:
            key = (r["type"], r["mmsi"], r["other_mmsi"], _subject(r["type"], r["details"]))
            runs.setdefault(key, []).append(r)
        else:
            out.append(r)
    for group in runs.values():
        merged = _merge_overlapping(sorted(group, key=lambda r: (r["start"], r["window"])))
        out += [r for r in merged if not _continued(r)]  # a continuation that extends nothing
    for r in out:
        r.pop("window", None)
    return pa.Table.from_pylist(out, schema=EVENTS)


_FAR = datetime.max.replace(tzinfo=UTC)


def _continued(r: dict[str, Any]) -> bool:
    """A part that only continues a run seen by an earlier window (its start not seen)."""
    return bool(r["details"]) and bool(json.loads(r["details"]).get("continued"))


def _merge_overlapping(group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs sorted by start: overlapping ones become one (see :func:`stitch`)."""
    merged: list[dict[str, Any]] = []
    for r in group:
        cur = merged[-1] if merged else None
        if cur is None or r["start"] >= (cur["end"] or _FAR) or r["window"] == cur["window"]:
            merged.append(dict(r))
        elif r["window"] > cur["window"] or (r["end"] or _FAR) > (cur["end"] or _FAR):
            if _nearer(r, cur):  # the run's place is where it came nearest (port visits)
                cur["lat"], cur["lon"] = r["lat"], r["lon"]
            cur["details"] = _merged_details(cur, r)
            cur["end"], cur["window"] = r["end"], r["window"]
            cur["confidence"] = max(cur["confidence"], r["confidence"])
    return merged


#: Details that name the place of a run (a port visit's): they go with its nearest part.
_PLACE = ("place", "place_kind", "port", "country", "dprk", "offshore")


def _nearer(later: dict[str, Any], first: dict[str, Any]) -> bool:
    """Whether ``later`` came strictly nearer its place than ``first`` (``min_distance_km``):
    one pass over the whole run takes the place at its first nearest position."""
    if not later["details"] or not first["details"]:
        return False
    b = json.loads(later["details"]).get("min_distance_km")
    a = json.loads(first["details"]).get("min_distance_km")
    return isinstance(a, int | float) and isinstance(b, int | float) and b < a


#: Details that describe a run's beginning: the earliest part saw it.
_FROM_START = ("observed_start", "first_seen")


def _merged_details(first: dict[str, Any], later: dict[str, Any]) -> str | None:
    """The details of a run from its earliest part and a later part that saw its end: the
    later part's (the state at the end: open or closed, the cause of a silence), the
    beginning's from the earliest, the duration from the merged start, extremes of both."""
    if not first["details"] or not later["details"]:
        return first["details"] or later["details"]  # type: ignore[no-any-return]
    a, b = json.loads(first["details"]), json.loads(later["details"])
    out = dict(b)
    out.pop("continued", None)
    for key in (*_FROM_START, "continued"):
        if key in a:
            out[key] = a[key]
    for key, value in a.items():
        if key.startswith(("min_", "max_")) and isinstance(value, int | float) and key in b:
            pick = min if key.startswith("min_") else max
            out[key] = pick(value, b[key])
    if not _nearer(later, first):
        out.update((key, a[key]) for key in _PLACE if key in a)
    if isinstance(b.get("last_seen"), str):
        # the run's last position (a port visit's end is the first position outside)
        span = datetime.fromisoformat(b["last_seen"]) - first["start"]
        out["duration_h"] = round(span.total_seconds() / 3600.0, 3)
    elif isinstance(b.get("duration_h"), int | float):
        # the later part's duration runs from its own start (rounded to 3.6 s, as found)
        lead = (later["start"] - first["start"]).total_seconds() / 3600.0
        out["duration_h"] = round(lead + b["duration_h"], 3)
    return json.dumps(out, sort_keys=True)


def with_window(ev: pa.Table, window: Window) -> pa.Table:
    """``ev`` with the ``window`` column :func:`stitch` reads."""
    return ev.append_column("window", pa.array([window.index] * ev.num_rows, pa.int32()))


def finish(parts: Sequence[pa.Table]) -> pa.Table:
    """The events of a run from its windows' kept parts (each with a ``window`` column):
    runs stitched, duplicates dropped, sorted by (start, event_id)."""
    if not parts:
        return EVENTS.empty_table()
    events = stitch(pa.concat_tables(parts))
    ids = events.column("event_id").to_numpy(zero_copy_only=False)
    _, first = np.unique(ids, return_index=True)
    return events.take(pa.array(np.sort(first))).sort_by(
        [("start", "ascending"), ("event_id", "ascending")]
    )

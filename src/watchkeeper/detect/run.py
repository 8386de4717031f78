"""Run every detector over a workspace, window by window with halos, and store ``events``.

Consecutive days are grouped into windows of at most ``window_positions`` positions (one day
per window on a big feed, the whole data on a small one), so memory is bounded by the window.
Each window [D, E) is processed with positions from ``pre_halo_h`` hours before D to
``post_halo_h`` after E. Events that start in the window are kept; so are the runs
(:data:`STITCHED` types) that start in its halos: a run cut by a window edge is seen
in part by two windows, and the parts that overlap are stitched into one event (the start,
id and details of the earliest part, the end seen by the later window). Events across
midnight are thus found once and whole, without re-processing long halos (the halos only
give each detector its context: a 6 h gap must fit in both halos together). Event ids are
deterministic, so a rerun replaces the table with identical rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.context.anchorages import AnchorageParams, learn_anchorages
from watchkeeper.context.ports import PlaceIndex, read_wpi_csv, searoute_ports
from watchkeeper.context.reception import reception_map
from watchkeeper.context.zones import Zone, builtin_zones, load_geojson_zones
from watchkeeper.detect._lookup import ByMmsi
from watchkeeper.detect._track import cols
from watchkeeper.detect.ais_gap import GapParams, detect_gaps
from watchkeeper.detect.dark_sts import DarkStsParams, detect_dark_sts
from watchkeeper.detect.draught_change import DraughtParams, detect_draught_changes
from watchkeeper.detect.encounter import EncounterParams, detect_encounters
from watchkeeper.detect.events import events_table
from watchkeeper.detect.identity_change import IdentityParams, detect_identity_changes
from watchkeeper.detect.loitering import LoiterParams, detect_loitering
from watchkeeper.detect.port_visit import PortVisitParams, detect_port_visits, dprk_ports
from watchkeeper.detect.spoofing import SpoofParams, detect_spoofing
from watchkeeper.detect.zone_entry import ZoneParams, detect_zone_entries
from watchkeeper.errors import ConfigError
from watchkeeper.schema import EVENTS, IDENTITIES, POSITIONS
from watchkeeper.store import Workspace
from watchkeeper.tracks import ResampleParams, SegmentParams, clean, resample, segment
from watchkeeper.tracks.build import parse_time

__all__ = ["STITCHED", "DetectParams", "detect_all", "detect_workspace", "stitch"]

#: Event types that are runs in time: parts seen by two day windows are stitched together.
STITCHED = ("loitering", "encounter", "ais_gap", "port_visit", "zone_entry")
_SUBJECT = {"zone_entry": "zone"}  # what a run is about (a vessel visits one port at a time)


@dataclass(frozen=True)
class DetectParams:
    """Parameters of every stage of a detect run."""

    segment: SegmentParams = field(default_factory=SegmentParams)
    resample: ResampleParams = field(default_factory=ResampleParams)
    anchorages: AnchorageParams = field(default_factory=AnchorageParams)
    gaps: GapParams = field(default_factory=GapParams)
    loitering: LoiterParams = field(default_factory=LoiterParams)
    encounters: EncounterParams = field(default_factory=EncounterParams)
    spoofing: SpoofParams = field(default_factory=SpoofParams)
    identity: IdentityParams = field(default_factory=IdentityParams)
    draught: DraughtParams = field(default_factory=DraughtParams)
    port_visits: PortVisitParams = field(default_factory=PortVisitParams)
    zones: ZoneParams = field(default_factory=ZoneParams)
    dark_sts: DarkStsParams = field(default_factory=DarkStsParams)
    # Days are processed in windows of at most this many positions (whole days; a bigger day
    # is a window alone): memory is bounded by the window. Measured (docs/benchmarks.md, 10,000
    # vessels, 4.8 M positions a day): two 1-day windows of 2 days take 15.6 s and 2.4 GB, one
    # 9.6 M window 17.8 s and 3.3 GB (sorts grow faster than the 3 h halos cost); small
    # data (a simulated scenario) runs as one window.
    window_positions: int = 5_000_000
    # Halos around each window. Runs cut at a window edge are stitched (module docstring), so
    # the halos need only give context: pre + post >= the 6 h gap threshold (GapParams), so
    # a gap starting late on D is seen whole (or open) by one of the two windows; each halo
    # costs its share of a day in time (the 2x data <= 2.3x time).
    pre_halo_h: float = 3.0
    post_halo_h: float = 3.0
    # Identity reports are few: a longer look back finds the previous value of a field
    # (a draught or name last reported before a day of silence).
    identity_halo_h: float = 48.0
    port_files: tuple[str, ...] = field(default=())  # WPI-style CSVs given by the user
    zone_files: tuple[str, ...] = field(default=())  # GeoJSON polygons given by the user
    builtin_zones: bool = True  # North Korean waters and reported STS hotspots

    def __post_init__(self) -> None:
        if self.pre_halo_h < 0 or self.post_halo_h < 0 or self.window_positions < 1:
            raise ConfigError("halos must be >= 0 and window_positions >= 1")
        if self.pre_halo_h + self.post_halo_h < self.gaps.min_gap_h:
            raise ConfigError("pre_halo_h + post_halo_h must cover gaps.min_gap_h")


def _places(positions: pa.Table, params: DetectParams) -> PlaceIndex:
    tables = [searoute_ports(), dprk_ports(), learn_anchorages(positions, params.anchorages)]
    tables += [read_wpi_csv(Path(p)) for p in params.port_files]
    return PlaceIndex(pa.concat_tables(tables))


def _zones(params: DetectParams) -> list[Zone]:
    zones = builtin_zones() if params.builtin_zones else []
    for f in params.zone_files:
        zones += load_geojson_zones(Path(f))
    return zones


def _ship_types(identities: pa.Table) -> dict[int, int]:
    """Last reported (non-zero) ship type of each MMSI."""
    known = identities.filter(pc.greater(identities.column("ship_type"), 0)).sort_by("ts")
    return dict(
        zip(known.column("mmsi").to_pylist(), known.column("ship_type").to_pylist(), strict=True)
    )


def detect_all(
    positions: pa.Table,
    *,
    identities: pa.Table | None = None,
    data_start: datetime | None = None,
    data_end: datetime | None = None,
    history: tuple[pa.Table, datetime] | None = None,
    params: DetectParams = DetectParams(),
) -> pa.Table:
    """All events of ``positions`` and ``identities`` (any order) as one ``events`` table.

    ``data_start``/``data_end`` bound the window the positions cover (silences reaching them
    may continue beyond; see the gap and draught detectors). ``history`` gives the draught
    detector the positions it looks back over and where they begin, when ``positions`` start
    later (a day window with a short halo); by default it uses ``positions``.
    """
    ids = IDENTITIES.empty_table() if identities is None else identities
    if positions.num_rows == 0 and ids.num_rows == 0:
        return events_table([])
    tracks = _by_track(segment(clean(positions), params.segment))
    places = _places(tracks, params)
    reception = reception_map(tracks)
    where = _by_mmsi(tracks)
    loitering = detect_loitering(tracks, places=places, params=params.loitering)
    parts = [
        detect_gaps(tracks, data_end=data_end, reception=reception, params=params.gaps),
        loitering,
        detect_encounters(
            resample(tracks, params.resample), places=places, params=params.encounters
        ),
        detect_spoofing(tracks, places=places, params=params.spoofing),
        detect_identity_changes(ids, positions=where, params=params.identity),
        _draught(ids, where, places, data_start, history, params),
        detect_port_visits(tracks, places, params=params.port_visits),
        detect_zone_entries(tracks, _zones(params), params=params.zones),
        detect_dark_sts(
            tracks,
            loitering,
            data_end=data_end,
            places=places,
            reception=reception,
            ship_types=_ship_types(ids),
            params=params.dark_sts,
        ),
    ]
    return pa.concat_tables([p.cast(EVENTS) for p in parts])


def _by_mmsi(tracks: pa.Table) -> ByMmsi:
    """Positions by (mmsi, time) for as-of lookups; no sort when tracks are in that order."""
    c = cols(tracks)
    same = c.mmsi[1:] == c.mmsi[:-1]
    ordered = np.all(c.mmsi[1:] >= c.mmsi[:-1]) and np.all(~same | (c.t[1:] >= c.t[:-1]))
    return ByMmsi(c.mmsi, c.t, c.lat, c.lon, c.sog) if ordered else ByMmsi.of(c)


def _by_track(tracks: pa.Table) -> pa.Table:
    """Segmented positions (sorted by mmsi, ts) sorted by (track_id, ts): already so unless
    an MMSI was split into interleaved tracks, and a sort is a full copy of the table."""
    tid = tracks.column("track_id").to_numpy()
    if bool(np.all(tid[1:] >= tid[:-1])):
        return tracks
    return tracks.sort_by([("track_id", "ascending"), ("ts", "ascending")])


def _draught(
    ids: pa.Table,
    where: ByMmsi,
    places: PlaceIndex,
    data_start: datetime | None,
    history: tuple[pa.Table, datetime] | None,
    params: DetectParams,
) -> pa.Table:
    if history is not None:
        where, data_start = ByMmsi.of(cols(clean(history[0]))), history[1]
    return detect_draught_changes(
        ids, where, places=places, data_start=data_start, params=params.draught
    )


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


def _day_bounds(day: str) -> tuple[datetime, datetime]:
    lo = parse_time(day)
    return lo, lo + timedelta(days=1)


def detect_workspace(ws: Workspace, *, params: DetectParams = DetectParams()) -> pa.Table:
    """Detect over every day of ``ws``, write table ``events`` and return it."""
    windows = _windows(ws, params.window_positions)
    parts = []
    pre, post = timedelta(hours=params.pre_halo_h), timedelta(hours=params.post_halo_h)
    last_day = _data_end(ws) if windows else None
    for window, (first, last) in enumerate(windows):
        lo, hi = _day_bounds(first)[0], _day_bounds(last)[1]
        pos = _positions(ws, lo - pre, hi + post)
        ids = _identities(ws, lo - timedelta(hours=params.identity_halo_h), hi + post)
        window_end = min(hi + post, last_day) if last_day else hi + post
        look_back = lo - timedelta(hours=params.draught.lookback_h) - pre
        ev = detect_all(
            pos,
            identities=ids,
            data_start=lo - pre,
            data_end=window_end,
            history=_draught_history(ws, ids, look_back, hi + post),
            params=params,
        )
        del pos
        ev = _reopen_gaps(ws, ev.filter(_keep(ev, lo, hi, pre, post)), window_end, last_day)
        parts.append(ev.append_column("window", pa.array([window] * ev.num_rows, pa.int32())))
    events = pa.concat_tables(parts) if parts else _windowed(events_table([]))
    events = _dedupe(stitch(events))
    ws.write_table("events", events)
    return events


def _windows(ws: Workspace, budget: int) -> list[tuple[str, str]]:
    """Consecutive days grouped into windows (first, last day) of at most ``budget``
    positions (a day above it is a window of its own)."""
    per_day = ws.day_counts("positions")
    out: list[tuple[str, str]] = []
    size = 0
    for day in sorted(per_day):
        if out and size + per_day[day] <= budget:
            out[-1] = (out[-1][0], day)
            size += per_day[day]
        else:
            out.append((day, day))
            size = per_day[day]
    return out


def _windowed(ev: pa.Table) -> pa.Table:
    return ev.append_column("window", pa.array([], pa.int32()))


def _keep(
    ev: pa.Table, lo: datetime, hi: datetime, pre: timedelta, post: timedelta
) -> pa.ChunkedArray:
    """Events of day [lo, hi): starting on it, or, for runs, anywhere in the window (the
    parts seen by two windows are stitched)."""
    start = pc.cast(_anchor(ev), pa.int64())
    run = pc.is_in(ev.column("type"), pa.array(STITCHED))
    first = pc.if_else(run, _ms(lo - pre), _ms(lo))
    last = pc.if_else(run, _ms(hi + post), _ms(hi))
    return pc.and_(pc.greater_equal(start, first), pc.less(start, last))


def _positions(
    ws: Workspace, lo: datetime, hi: datetime, mmsis: list[int] | None = None
) -> pa.Table:
    """Positions with ``lo <= ts < hi`` (of ``mmsis`` only, if given), sorted by (mmsi, ts)
    in the store (cleaning's own sort is then cheap)."""
    return ws.positions(start=lo, end=hi, mmsis=mmsis, columns=_COLUMNS, order=True)


#: The position columns the detectors read (the others would only be copied by each sort).
_COLUMNS = ("mmsi", "ts", "lat", "lon", "sog_kn")


def _subject(kind: str, details: str | None) -> str | None:
    """What a run is about beyond its vessels (the place visited, the zone entered)."""
    if kind not in _SUBJECT or not details:
        return None
    value = json.loads(details).get(_SUBJECT[kind])
    return None if value is None else str(value)


def stitch(events: pa.Table) -> pa.Table:
    """Merge the parts of each run (:data:`STITCHED`) that two day windows saw.

    ``events`` carries a ``window`` column (index of the day window that found each row).
    Rows of one type, vessel pair and subject whose intervals overlap are one run: it keeps
    the earliest part's row, with the end of the part found by the latest window (an earlier
    window's end is cut at its edge, or null while the run went on beyond it).
    """
    rows = events.to_pylist()
    runs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    out: list[dict[str, Any]] = []
    for r in rows:
        if r["type"] in STITCHED:
            key = (r["type"], r["mmsi"], r["other_mmsi"], _subject(r["type"], r["details"]))
            runs.setdefault(key, []).append(r)
        else:
            out.append(r)
    for group in runs.values():
        out += _merge_overlapping(sorted(group, key=lambda r: (r["start"], r["window"])))
    for r in out:
        r.pop("window", None)
    return pa.Table.from_pylist(out, schema=EVENTS)


_FAR = datetime.max.replace(tzinfo=UTC)


def _merge_overlapping(group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs sorted by start: overlapping ones become one (see :func:`stitch`)."""
    merged: list[dict[str, Any]] = []
    for r in group:
        cur = merged[-1] if merged else None
        if cur is None or r["start"] >= (cur["end"] or _FAR) or r["window"] == cur["window"]:
            merged.append(dict(r))
        elif r["window"] > cur["window"] or (r["end"] or _FAR) > (cur["end"] or _FAR):
            cur["end"], cur["window"] = r["end"], r["window"]
    return merged


def _identities(ws: Workspace, lo: datetime, hi: datetime) -> pa.Table:
    """Identity reports with ``lo <= ts < hi``."""
    return ws.identities(start=lo, end=hi)


def _anchor(ev: pa.Table) -> pa.ChunkedArray:
    """The time that assigns an event to one day: its start, except for draught changes
    and identity changes of a value (evidence ``first_new``), which are known only at the
    first report of the new value (their ``end``)."""
    typ, evidence = ev.column("type"), ev.column("evidence")
    renamed = pc.and_(
        pc.equal(typ, "identity_change"),
        pc.fill_null(pc.match_substring(evidence, '"first_new"'), False),
    )
    late = pc.and_(pc.or_(pc.equal(typ, "draught_change"), renamed), pc.is_valid(ev.column("end")))
    return pc.if_else(late, ev.column("end"), ev.column("start"))


def _data_end(ws: Workspace) -> datetime | None:
    """Time of the last position in the workspace: open gaps are measured up to it."""
    return ws.last_time("positions")


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _reopen_gaps(
    ws: Workspace, ev: pa.Table, window_end: datetime, last_day: datetime | None
) -> pa.Table:
    """Gaps open at the window end are closed by the vessel's next position beyond it, if any."""
    if last_day is None or window_end >= last_day:
        return ev
    is_open = pc.and_(pc.equal(ev.column("type"), "ais_gap"), pc.is_null(ev.column("end")))
    mmsis = pc.filter(ev.column("mmsi"), is_open).to_pylist()
    if not mmsis:
        return ev
    found = ws.first_after(mmsis, window_end)
    rows = ev.to_pylist()
    for r in rows:
        if r["type"] == "ais_gap" and r["end"] is None and r["mmsi"] in found:
            r["end"] = found[r["mmsi"]]
    return pa.Table.from_pylist(rows, schema=EVENTS)


def _dedupe(events: pa.Table) -> pa.Table:
    ids = events.column("event_id").to_numpy(zero_copy_only=False)
    _, first = np.unique(ids, return_index=True)
    return events.take(pa.array(np.sort(first))).sort_by(
        [("start", "ascending"), ("event_id", "ascending")]
    )

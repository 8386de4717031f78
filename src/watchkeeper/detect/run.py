"""Run every detector over a workspace, one day at a time with a halo, and store ``events``.

Each day D is processed with positions from ``halo_h`` hours before D to ``halo_h`` after;
only events that start on D are kept, so events across midnight are found once, and memory
holds about one day plus two halos. Event ids are deterministic, so a rerun replaces the table
with identical rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.context.anchorages import AnchorageParams, learn_anchorages
from watchkeeper.context.ports import PlaceIndex, read_wpi_csv, searoute_ports
from watchkeeper.context.zones import Zone, builtin_zones, load_geojson_zones
from watchkeeper.detect._lookup import ByMmsi
from watchkeeper.detect._track import cols
from watchkeeper.detect.dark_sts import DarkStsParams, detect_dark_sts
from watchkeeper.detect.draught import DraughtParams, detect_draught_changes
from watchkeeper.detect.encounters import EncounterParams, detect_encounters
from watchkeeper.detect.events import events_table
from watchkeeper.detect.gaps import GapParams, detect_gaps
from watchkeeper.detect.identity import IdentityParams, detect_identity_changes
from watchkeeper.detect.loitering import LoiterParams, detect_loitering
from watchkeeper.detect.port_visits import PortVisitParams, detect_port_visits, dprk_ports
from watchkeeper.detect.spoofing import SpoofParams, detect_spoofing
from watchkeeper.detect.zone_entry import ZoneParams, detect_zone_entries
from watchkeeper.schema import EVENTS, IDENTITIES
from watchkeeper.store import Workspace
from watchkeeper.tracks import ResampleParams, SegmentParams, clean, resample, segment
from watchkeeper.tracks.build import parse_time

__all__ = ["DetectParams", "detect_all", "detect_workspace"]


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
    halo_h: float = 12.0  # longer than any encounter/loitering run we expect to cut at midnight
    # Identity reports are few: a longer look back finds the previous value of a field
    # (a draught or name last reported before a day of silence).
    identity_halo_h: float = 48.0
    port_files: tuple[str, ...] = field(default=())  # WPI-style CSVs given by the user
    zone_files: tuple[str, ...] = field(default=())  # GeoJSON polygons given by the user
    builtin_zones: bool = True  # North Korean waters and reported STS hotspots


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
    params: DetectParams = DetectParams(),
) -> pa.Table:
    """All events of ``positions`` and ``identities`` (any order) as one ``events`` table.

    ``data_start``/``data_end`` bound the window the positions cover (silences reaching them
    may continue beyond; see the gap and draught detectors).
    """
    ids = IDENTITIES.empty_table() if identities is None else identities
    if positions.num_rows == 0 and ids.num_rows == 0:
        return events_table([])
    tracks = segment(clean(positions), params.segment).sort_by(
        [("track_id", "ascending"), ("ts", "ascending")]
    )
    places = _places(tracks, params)
    where = ByMmsi.of(cols(tracks))
    loitering = detect_loitering(tracks, places=places, params=params.loitering)
    parts = [
        detect_gaps(tracks, data_end=data_end, params=params.gaps),
        loitering,
        detect_encounters(
            resample(tracks, params.resample), places=places, params=params.encounters
        ),
        detect_spoofing(tracks, places=places, params=params.spoofing),
        detect_identity_changes(ids, positions=where, params=params.identity),
        detect_draught_changes(
            ids, where, places=places, data_start=data_start, params=params.draught
        ),
        detect_port_visits(tracks, places, params=params.port_visits),
        detect_zone_entries(tracks, _zones(params), params=params.zones),
        detect_dark_sts(
            tracks,
            loitering,
            data_end=data_end,
            places=places,
            ship_types=_ship_types(ids),
            params=params.dark_sts,
        ),
    ]
    return pa.concat_tables([p.cast(EVENTS) for p in parts])


def _day_bounds(day: str) -> tuple[datetime, datetime]:
    lo = parse_time(day)
    return lo, lo + timedelta(days=1)


def detect_workspace(ws: Workspace, *, params: DetectParams = DetectParams()) -> pa.Table:
    """Detect over every day of ``ws``, write table ``events`` and return it."""
    days = ws.days("positions")
    parts = []
    halo = timedelta(hours=params.halo_h)
    last_day = _data_end(ws) if days else None
    for day in days:
        lo, hi = _day_bounds(day)
        span = ((lo - halo).date().isoformat(), (hi + halo).date().isoformat())
        pos = ws.read("positions", days=span)
        t = pc.cast(pos.column("ts"), pa.int64())
        mask = pc.and_(pc.greater_equal(t, _ms(lo - halo)), pc.less(t, _ms(hi + halo)))
        pos = pos.filter(mask)
        ids = _identities(ws, lo - timedelta(hours=params.identity_halo_h), hi + halo)
        window_end = min(hi + halo, last_day) if last_day else hi + halo
        ev = detect_all(
            pos, identities=ids, data_start=lo - halo, data_end=window_end, params=params
        )
        start = pc.cast(_anchor(ev), pa.int64())
        keep = pc.and_(pc.greater_equal(start, _ms(lo)), pc.less(start, _ms(hi)))
        parts.append(_reopen_gaps(ws, ev.filter(keep), window_end, last_day))
    events = pa.concat_tables(parts) if parts else events_table([])
    events = _dedupe(events)
    ws.write_table("events", events)
    return events


def _identities(ws: Workspace, lo: datetime, hi: datetime) -> pa.Table:
    """Identity reports with ``lo <= ts < hi``."""
    ids = ws.read("identities", days=(lo.date().isoformat(), hi.date().isoformat()))
    t = pc.cast(ids.column("ts"), pa.int64())
    return ids.filter(pc.and_(pc.greater_equal(t, _ms(lo)), pc.less(t, _ms(hi))))


def _anchor(ev: pa.Table) -> pa.ChunkedArray:
    """The time that assigns an event to one day: its start, except for draught changes,
    which are known only at the first report of the new draught (their ``end``)."""
    late = pc.and_(pc.equal(ev.column("type"), "draught_change"), pc.is_valid(ev.column("end")))
    return pc.if_else(late, ev.column("end"), ev.column("start"))


def _data_end(ws: Workspace) -> datetime | None:
    """Time of the last position in the workspace: open gaps are measured up to it."""
    with ws.connect() as con:
        row = con.sql("SELECT max(ts) FROM positions").fetchall()[0]
    return row[0] if row and row[0] is not None else None


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
    with ws.connect() as con:
        nxt = con.sql(
            "SELECT mmsi, min(ts) AS ts FROM positions WHERE ts >= ? AND list_contains(?, mmsi) "
            "GROUP BY mmsi",
            params=[window_end, mmsis],
        ).to_arrow_table()
    found = dict(zip(nxt.column("mmsi").to_pylist(), nxt.column("ts").to_pylist(), strict=True))
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

"""Draught change at sea: placed at the last stop; a change after a port call is not at sea."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pyarrow as pa

from watchkeeper.context.ports import PLACES, PlaceIndex
from watchkeeper.detect._lookup import ByMmsi
from watchkeeper.detect._track import cols
from watchkeeper.detect.draught_change import detect_draught_changes
from watchkeeper.schema import IDENTITIES
from watchkeeper.tracks import clean, segment
from watchkeeper.tracks.build import concat, parse_time, stationary, track

SEA = (28.5, 124.5)  # East China Sea, ~200 km offshore


def _draughts(mmsi: int, start: str, values: list[float]) -> pa.Table:
    t0 = parse_time(start)
    rows = [
        {f.name: None for f in IDENTITIES}
        | {"mmsi": mmsi, "ts": t0 + timedelta(minutes=6 * i), "draught_m": v}
        for i, v in enumerate(values)
    ]
    return pa.Table.from_pylist(rows, schema=IDENTITIES)


def _where(*t: pa.Table) -> ByMmsi:
    return ByMmsi.of(cols(segment(clean(concat(*t)))))


def _sail(start: str | datetime, lat: float, lon: float, hours: float) -> pa.Table:
    n = int(hours * 6)
    return track(1, start, lat, lon, [(i * 10, i * 3704.0, 0.0) for i in range(1, n + 1)])


def test_change_after_a_stop_at_sea_across_midnight() -> None:
    stop = stationary(1, "2024-01-01T18:00", *SEA, hours=5)
    sail = _sail("2024-01-01T23:00", *SEA, hours=3)
    ids = _draughts(1, "2024-01-01T12:00", [6.0] * 66)  # the old value until 18:30
    ids = pa.concat_tables([ids, _draughts(1, "2024-01-02T00:30", [8.5] * 3)])
    ev = detect_draught_changes(ids, _where(stop, sail)).to_pylist()
    assert len(ev) == 1
    d = json.loads(ev[0]["details"])
    assert d["delta_m"] == 2.5 and d["stop"] == "slow"
    assert ev[0]["start"] == parse_time("2024-01-01T18:00")
    # old value last heard before the stop: the change may lie anywhere since then
    early = pa.concat_tables([ids.slice(0, 3), ids.slice(66)])
    ev = detect_draught_changes(early, _where(stop, sail)).to_pylist()
    assert ev[0]["start"] == parse_time("2024-01-01T12:12")
    assert abs(ev[0]["lat"] - SEA[0]) < 0.01


def test_small_change_or_stop_in_port_is_no_event() -> None:
    stop = stationary(1, "2024-01-01T18:00", *SEA, hours=5)
    sail = _sail("2024-01-01T23:00", *SEA, hours=3)
    ids = pa.concat_tables(
        [_draughts(1, "2024-01-01T12:00", [6.0] * 3), _draughts(1, "2024-01-02T00:30", [6.5] * 3)]
    )
    assert detect_draught_changes(ids, _where(stop, sail)).num_rows == 0
    ids = pa.concat_tables(
        [_draughts(1, "2024-01-01T12:00", [6.0] * 3), _draughts(1, "2024-01-02T00:30", [9.0] * 3)]
    )
    port = pa.Table.from_pylist(
        [{"name": "X", "country": "CN", "lat": SEA[0], "lon": SEA[1], "kind": "port"}],
        schema=PLACES,
    )
    ev = detect_draught_changes(ids, _where(stop, sail), places=PlaceIndex(port))
    assert ev.num_rows == 0


def test_change_after_sailing_only_is_no_event() -> None:
    sail = _sail("2024-01-01T12:00", *SEA, hours=14)
    ids = pa.concat_tables(
        [_draughts(1, "2024-01-01T12:00", [6.0] * 3), _draughts(1, "2024-01-02T01:00", [9.0] * 3)]
    )
    assert detect_draught_changes(ids, _where(sail)).num_rows == 0


def test_change_after_a_dark_period_at_sea() -> None:
    before = _sail("2024-01-01T06:00", *SEA, hours=2)
    after = _sail("2024-01-01T20:00", SEA[0] + 0.3, SEA[1], hours=3)
    ids = pa.concat_tables(
        [_draughts(1, "2024-01-01T06:00", [6.0] * 3), _draughts(1, "2024-01-01T21:00", [3.0] * 3)]
    )
    ev = detect_draught_changes(ids, _where(before, after)).to_pylist()
    assert len(ev) == 1 and json.loads(ev[0]["details"])["stop"] == "dark"

"""Fast alerts: the vessels a batch concerns, and their events as the full run gives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from shapely.geometry import box

from watchkeeper.context.zones import Zone
from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.run import detect_workspace
from watchkeeper.live.alerts import AlertState, State, transitions
from watchkeeper.live.fast import (
    FAST_TYPES,
    IdentityMemory,
    JumpMemory,
    ZoneMemory,
    detect_vessels,
    fast_context,
)
from watchkeeper.store.workspace import Workspace

T0 = datetime(2024, 3, 4, tzinfo=UTC)


def _pos(rows: list[tuple[int, int, float, float]]) -> pa.Table:
    """Positions (mmsi, minutes after T0, lat, lon)."""
    return pa.table(
        {
            "mmsi": pa.array([r[0] for r in rows], pa.int64()),
            "ts": pa.array([T0 + timedelta(minutes=r[1]) for r in rows], pa.timestamp("ms", "UTC")),
            "lat": [r[2] for r in rows],
            "lon": [r[3] for r in rows],
        }
    )


def test_a_position_entering_a_zone_triggers_its_vessel_once() -> None:
    zone = Zone("z", box(124.0, 38.0, 125.0, 39.0))
    memory = ZoneMemory([zone])
    first = _pos(
        [(1, 0, 37.5, 124.5), (1, 10, 38.5, 124.5), (2, 0, 38.5, 124.5), (3, 0, 30.0, 120.0)]
    )
    # 1 sails in; 2 is first seen inside (an entry the data may show: checked); 3 is outside
    assert memory.entered(first) == {1, 2}
    # still inside: nothing new; 3 enters now, after its earlier batch's position outside
    assert memory.entered(_pos([(1, 20, 38.6, 124.5), (3, 20, 38.2, 124.1)])) == {3}
    assert memory.entered(_pos([(1, 30, 37.0, 124.5)])) == set()  # leaving is no entry
    assert memory.entered(_pos([(1, 40, 38.1, 124.5)])) == {1}  # back in


def test_a_report_that_differs_from_the_last_one_triggers_its_vessel() -> None:
    memory = IdentityMemory()

    def ids(rows: list[tuple[int, str | None, int | None]]) -> pa.Table:
        return pa.table(
            {
                "mmsi": pa.array([r[0] for r in rows], pa.int64()),
                "ts": pa.array([T0] * len(rows), pa.timestamp("ms", "UTC")),
                "name": pa.array([r[1] for r in rows], pa.string()),
                "imo": pa.array([r[2] for r in rows], pa.int32()),
            }
        )

    assert memory.changed(ids([(1, "ASIA  STAR@@", 9018464), (2, "B", None)])) == set()
    # the same name written otherwise, and a missing IMO: no change; a new IMO: a change
    assert memory.changed(ids([(1, "asia star", None), (2, "B", 9018464)])) == set()
    assert memory.changed(ids([(1, "ASIA STAR", 9123456)])) == {1}
    assert memory.changed(ids([(2, "C", 0)])) == {2}  # IMO 0 is "not available"


def test_the_vessels_events_are_the_full_runs(live_sim: Path, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    for layer in ("positions", "identities"):
        w = ws.writer(layer, "sim")
        w.write(pq.read_table(live_sim / "truth" / f"{layer}.parquet"))
        w.close()
    params = DetectParams()
    full = detect_workspace(ws, params=params)
    full = full.filter(pc.is_in(full.column("type"), pa.array(FAST_TYPES)))
    chosen = set(full.column("mmsi").to_pylist())
    assert set(FAST_TYPES) <= set(full.column("type").to_pylist())  # each is planted
    found, data_end = detect_vessels(ws, chosen, params, 1e6, fast_context(params))
    assert data_end == ws.last_time("positions")
    assert found.sort_by("event_id").equals(full.sort_by("event_id"))


def test_a_step_faster_than_a_ship_marks_its_vessel() -> None:
    memory = JumpMemory(min_jump_kn=30.0)
    # 1 sails 1.5 km in 10 min (5 kn); 2 is 60 km away 10 min later (194 kn); 3 is new
    assert memory.jumped(_pos([(1, 0, 30.0, 122.0), (2, 0, 31.0, 123.0)])) == set()
    step = [(1, 10, 30.0135, 122.0), (2, 10, 31.54, 123.0), (3, 10, 20.0, 120.0)]
    assert memory.jumped(_pos(step)) == {2}
    assert memory.jumped(_pos([(2, 11, 31.5401, 123.0)])) == set()  # 11 m on: noise


def test_a_partial_run_retracts_nothing_and_a_run_cannot_retract_what_began_after_it() -> None:
    known = {"a": AlertState(State.PROVISIONAL, {"provisional"}, T0 + timedelta(hours=2))}
    empty = pa.table({"event_id": pa.array([], pa.string())})
    end = T0 + timedelta(hours=1)  # a run over data that ends before the alert began
    assert transitions(known, empty, data_end=end, window_start=T0) == []
    later = T0 + timedelta(hours=3)
    assert transitions(known, empty, data_end=later, window_start=T0, retract=False) == []
    out = transitions(known, empty, data_end=later, window_start=T0)
    assert [(a["alert_id"], a["state"]) for a in out] == [("a", "retracted")]

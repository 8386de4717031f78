"""The Store contract: the same assertions against the workspace and the in-memory store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.errors import WorkspaceError
from watchkeeper.schema import EVENTS, IDENTITIES, POSITIONS, REJECTS
from watchkeeper.store import MemoryStore, Store, Workspace

T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)
A, B, C = 111111111, 222222222, 333333333


def _positions(mmsi: int, times: list[datetime], lon: float) -> pa.Table:
    n = len(times)
    return pa.table(
        {
            "mmsi": [mmsi] * n,
            "ts": times,
            "lat": [10.0 + i * 0.1 for i in range(n)],
            "lon": [lon] * n,
            "sog_kn": [float(i) for i in range(n)],
            "cog_deg": [90.0] * n,
            "heading_deg": [90] * n,
            "nav_status": [0] * n,
            "msg_type": [1] * n,
            "ais_class": ["A"] * n,
            "source": ["rx"] * n,
            "quality": [0] * n,
            "line": list(range(1, n + 1)),
        }
    ).cast(POSITIONS)


def _identities(rows: list[tuple[int, datetime, str, int | None]]) -> pa.Table:
    table = pa.Table.from_pylist(
        [
            {"mmsi": m, "ts": t, "name": name, "imo": imo, "callsign": "CALL", "ship_type": 80}
            for m, t, name, imo in rows
        ]
    )
    cols = {f.name: table[f.name] if f.name in table.column_names else None for f in IDENTITIES}
    return pa.table(
        {n: c if c is not None else pa.nulls(table.num_rows) for n, c in cols.items()}
    ).cast(IDENTITIES)


def _hours(*h: float) -> list[datetime]:
    return [T0 + timedelta(hours=x) for x in h]


def _fill(store: Store) -> None:
    """A (3 reports over midnight), B (2, on the antimeridian), C (identity only)."""
    w = store.writer("positions", "aaaa")
    w.write(_positions(A, _hours(0, 1, 3), 20.0))
    w.write(_positions(B, _hours(0.5, 2.5), 179.9))
    w.close()
    w = store.writer("identities", "aaaa")
    w.write(
        _identities(
            [
                (A, T0, "OLD NAME", 9074729),
                (A, T0 + timedelta(hours=2), "NEW NAME ", 9074729),
                (C, T0, "CEE", None),
            ]
        )
    )
    w.close()
    store.log_ingest({"ingest_id": "aaaa", "file": "a.nmea", "sha256": "ab", "skipped": {"x": 1}})


@pytest.fixture(params=["workspace", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store = Workspace(tmp_path / "ws") if request.param == "workspace" else MemoryStore()
    _fill(made)
    yield made


def test_is_a_store(store: Store) -> None:
    assert isinstance(store, Store)


def test_positions_filters(store: Store) -> None:
    assert store.positions().num_rows == 5
    assert store.positions().schema == POSITIONS
    window = store.positions(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=3))
    assert sorted(window["ts"].to_pylist()) == _hours(1, 2.5)  # end excluded
    only_b = store.positions(mmsis=[B], columns=("mmsi", "ts"))
    assert only_b.column_names == ["mmsi", "ts"] and set(only_b["mmsi"].to_pylist()) == {B}
    ordered = store.positions(order=True)
    assert list(zip(ordered["mmsi"].to_pylist(), ordered["ts"].to_pylist(), strict=True)) == [
        *((A, t) for t in _hours(0, 1, 3)),
        *((B, t) for t in _hours(0.5, 2.5)),
    ]
    with pytest.raises(WorkspaceError):
        store.positions(columns=("nope",))


def test_positions_bbox(store: Store) -> None:
    box = store.positions(bbox=(19.0, 10.05, 21.0, 11.0))
    assert box["lat"].to_pylist() == pytest.approx([10.1, 10.2])
    across = store.positions(bbox=(179.0, -90.0, -179.0, 90.0))  # crosses the antimeridian
    assert set(across["mmsi"].to_pylist()) == {B}


def test_identities_and_layer_metadata(store: Store) -> None:
    assert store.identities(mmsis=[C])["name"].to_pylist() == ["CEE"]
    assert store.identities(start=T0 + timedelta(hours=1)).num_rows == 1
    assert store.count("positions") == 5 and store.count("identities") == 3
    assert store.day_counts() == {"2024-03-01": 3, "2024-03-02": 2}
    assert store.days("identities") == ["2024-03-01", "2024-03-02"]
    assert store.read("positions", days=("2024-03-02", "2024-03-02")).num_rows == 2
    assert store.last_time() == T0 + timedelta(hours=3)
    assert store.last_time("identities") == T0 + timedelta(hours=2)
    assert store.first_after([A, B, C], T0 + timedelta(hours=0.7)) == {
        A: T0 + timedelta(hours=1),
        B: T0 + timedelta(hours=2.5),
    }
    assert store.first_after([], T0) == {}
    nxt = store.next_positions([A, B, C], T0 + timedelta(hours=0.7), ("mmsi", "ts"))
    assert nxt.to_pylist() == [
        {"mmsi": A, "ts": T0 + timedelta(hours=1)},
        {"mmsi": B, "ts": T0 + timedelta(hours=2.5)},
    ]
    assert store.next_positions([], T0).num_rows == 0


def test_position_batches_in_time_order(store: Store) -> None:
    batches = list(store.position_batches(batch_rows=2))
    assert all(b.num_rows <= 2 for b in batches)
    times = [t for b in batches for t in b.column("ts").to_pylist()]
    assert times == sorted(times) and len(times) == 5


def test_summaries(store: Store) -> None:
    assert store.mmsis() == [A, B]
    last = store.last_positions([A])
    assert last["mmsi"].to_pylist() == [A] and last["ts"].to_pylist() == _hours(3)
    assert store.last_positions().num_rows == 2
    assert store.latest_names() == {A: "NEW NAME", C: "CEE"}
    assert store.identity_variants().num_rows == 3
    facts = {r["mmsi"]: r for r in store.vessel_facts().to_pylist()}
    assert set(facts) == {A, B, C}
    assert facts[A]["names"] == ["NEW NAME", "OLD NAME"] and facts[A]["n_positions"] == 3
    assert facts[C]["n_positions"] == 0 and facts[B]["name"] is None
    over = store.overview()
    assert (over.positions, over.identities, over.vessels) == (5, 3, 3)
    assert over.first == T0 and over.last == T0 + timedelta(hours=3)
    assert over.bbox == pytest.approx((20.0, 10.0, 179.9, 10.2))


def test_evidence_traces_records_to_the_source(store: Store) -> None:
    windows = pa.table(
        {
            "event_no": [1],
            "event_id": ["e1"],
            "mmsi": [A],
            "start": _hours(0),
            "stop": _hours(1),
            "identity_evidence": [True],
        }
    )
    rows = store.evidence(windows, per_event=12)
    assert [r["layer"] for r in rows] == ["positions", "positions", "identities"]
    assert [r["source_line"] for r in rows[:2]] == [1, 2]
    assert all(r["file"] == "a.nmea" and r["sha256"] == "ab" for r in rows)
    assert rows[2]["note"].startswith("name=OLD NAME")
    assert store.evidence(windows.slice(0, 0), per_event=12) == []


def _events() -> pa.Table:
    rows = [
        {"event_id": "e1", "type": "encounter", "mmsi": A, "other_mmsi": B, "start": T0},
        {"event_id": "e2", "type": "ais_gap", "mmsi": B, "other_mmsi": None, "start": T0},
        {"event_id": "e3", "type": "loitering", "mmsi": C, "other_mmsi": None, "start": T0},
    ]
    full = [{f.name: r.get(f.name) for f in EVENTS} for r in rows]
    return pa.Table.from_pylist(full, schema=EVENTS)


def test_events_and_vessels(store: Store) -> None:
    assert store.events() is None and store.vessels() is None
    store.write_events(_events())
    all_events = store.events()
    assert all_events is not None and all_events["event_id"].to_pylist() == ["e1", "e2", "e3"]

    def ids(**kw: object) -> list[str]:
        table = store.events(**kw)  # type: ignore[arg-type]
        assert table is not None
        return list(table["event_id"].to_pylist())

    assert ids(mmsis=[B]) == ["e1", "e2"]  # either side of a pair
    assert ids(types=["ais_gap", "loitering"]) == ["e2", "e3"]
    assert ids(event_ids=["e3"], mmsis=[C]) == ["e3"]
    assert ids(types=["encounter"], mmsis=[C]) == []
    store.write_vessels(pa.table({"mmsi": [A], "risk": [1.0]}))
    vessels = store.vessels()
    assert vessels is not None and vessels["mmsi"].to_pylist() == [A]


def test_derived_tables_round_trip(store: Store) -> None:
    assert store.read_table("screening") is None
    store.write_table("screening", pa.table({"a": [1, 2]}))
    store.write_table("screening", pa.table({"a": [3]}))
    table = store.read_table("screening")
    assert table is not None and table["a"].to_pylist() == [3]
    with pytest.raises(WorkspaceError):
        store.write_table("bad name", pa.table({"a": [1]}))


def test_ingest_log_rejects_and_discard(store: Store) -> None:
    assert store.is_ingested("aaaa") and not store.is_ingested("bbbb")
    log = store.ingest_log()
    assert log["file"].to_pylist() == ["a.nmea"]
    assert json.loads(log["skipped"][0].as_py()) == {"x": 1}
    w = store.writer("positions", "bbbb")
    w.write(_positions(A, _hours(5), 20.0))
    w.close()
    assert w.rows == 1
    rej = pa.table(
        {
            "file": ["f", "f"],
            "line": [7, 3],
            "reason": ["bad_checksum"] * 2,
            "detail": [None] * 2,
            "raw": ["x", "y"],
        },
        schema=REJECTS,
    )
    store.add_rejects("bbbb", rej)
    assert store.rejects()["line"].to_pylist() == [3, 7]
    assert store.rejects(ingest_id="aaaa").num_rows == 0
    assert store.count("positions") == 6
    store.discard("bbbb")
    assert store.count("positions") == 5 and store.rejects().num_rows == 0
    assert store.is_ingested("aaaa")

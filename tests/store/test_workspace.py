"""The workspace: per-day Parquet partitions, ingest bookkeeping, derived tables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper import Workspace, WorkspaceError
from watchkeeper.schema import POSITIONS, REJECTS


def _positions(times: list[datetime], mmsi: int = 123456789) -> pa.Table:
    n = len(times)
    return pa.table(
        {
            "mmsi": [mmsi] * n,
            "ts": times,
            "lat": [30.0 + i * 0.01 for i in range(n)],
            "lon": [123.0] * n,
            "sog_kn": [10.0] * n,
            "cog_deg": [90.0] * n,
            "heading_deg": [90] * n,
            "nav_status": [0] * n,
            "msg_type": [1] * n,
            "ais_class": ["A"] * n,
            "source": ["test"] * n,
            "quality": [0] * n,
            "line": list(range(1, n + 1)),
        }
    ).cast(POSITIONS)


def test_writer_partitions_by_day(workspace: Workspace) -> None:
    times = [datetime(2024, 1, 1, 23, 50, tzinfo=UTC), datetime(2024, 1, 2, 0, 10, tzinfo=UTC)]
    w = workspace.writer("positions", "abc")
    w.write(_positions(times))
    w.write(_positions(times, mmsi=987654321))
    w.close()
    assert workspace.days() == ["2024-01-01", "2024-01-02"]
    assert workspace.count("positions") == 4
    table = workspace.read("positions")
    assert table.schema == POSITIONS
    assert sorted(table.column("ts").to_pylist()) == sorted(times * 2)
    one_day = workspace.read("positions", days=("2024-01-02", "2024-01-02"))
    assert one_day.num_rows == 2


def test_discard_removes_an_unfinished_ingest(workspace: Workspace) -> None:
    w = workspace.writer("positions", "dead")
    w.write(_positions([datetime(2024, 1, 1, tzinfo=UTC)]))
    w.close()
    rejects = pa.table(
        {"file": ["f"], "line": [1], "reason": ["bad_checksum"], "detail": [None], "raw": ["x"]},
        schema=REJECTS,
    )
    workspace.add_rejects("dead", rejects)
    workspace.discard("dead")
    assert workspace.count("positions") == 0
    assert workspace.rejects().num_rows == 0


def test_ingest_log_marks_complete(workspace: Workspace) -> None:
    assert not workspace.is_ingested("id1")
    workspace.log_ingest({"ingest_id": "id1", "file": "f", "skipped": {"blank": 2}})
    assert workspace.is_ingested("id1")


def test_tables_round_trip(workspace: Workspace) -> None:
    assert workspace.read_table("events") is None
    workspace.write_table("events", pa.table({"a": [1, 2]}))
    workspace.write_table("events", pa.table({"a": [3]}))
    table = workspace.read_table("events")
    assert table is not None and table.column("a").to_pylist() == [3]
    with pytest.raises(WorkspaceError):
        workspace.write_table("bad name", pa.table({"a": [1]}))


def test_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no workspace"):
        Workspace(tmp_path / "nope", create=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="not a folder"):
        Workspace(tmp_path / "file")


def test_writer_encodings_round_trip(workspace: Workspace) -> None:
    """Dictionaries where values repeat, byte-stream-split coordinates: same values back."""
    import pyarrow.parquet as pq

    times = [datetime(2024, 3, 1, 0, i, tzinfo=UTC) for i in range(50)]
    table = _positions(times)
    w = workspace.writer("positions", "enc")
    w.write(table)
    w.close()
    assert workspace.read("positions").equals(table)
    meta = pq.ParquetFile(workspace.files("positions")[0]).metadata.row_group(0)
    encodings = {meta.column(i).path_in_schema: meta.column(i).encodings for i in range(12)}
    assert "BYTE_STREAM_SPLIT" in encodings["lat"]
    assert "RLE_DICTIONARY" in encodings["source"]
    assert "RLE_DICTIONARY" not in encodings["ts"]


def test_many_days_keep_few_writers_open(workspace: Workspace) -> None:
    """A source spanning many days holds at most ``max_open`` files open; a day seen again
    after its file was closed gets a second part, and nothing is lost."""
    from datetime import timedelta

    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    w = workspace.writer("positions", "ff00")
    w.max_open = 2
    for rnd in range(2):
        for day in range(5):
            w.write(_positions([start + timedelta(days=day, minutes=rnd)]))
            assert len(w._writers) <= 2
    w.close()
    assert workspace.count("positions") == 10
    assert len(workspace.days()) == 5
    names = sorted(p.name for p in workspace.files("positions"))
    assert "ff00.parquet" in names and "ff00-1.parquet" in names
    workspace.discard("ff00")
    assert workspace.count("positions") == 0


def test_identities_written_before_runs_read_as_single_reports(tmp_path: Path) -> None:
    """A workspace whose identity files lack ts_last and n_reports still reads (as nulls:
    one report each), and the identity detector counts them as single reports."""
    import pyarrow.parquet as pq

    from watchkeeper.detect.identity_change import report_times
    from watchkeeper.schema import IDENTITIES

    old = pa.schema([f for f in IDENTITIES if f.name not in ("ts_last", "n_reports")])
    t = datetime(2024, 3, 4, tzinfo=UTC)
    folder = tmp_path / "ws" / "identities" / "day=2024-03-04"
    folder.mkdir(parents=True)
    row = dict.fromkeys(old.names) | {"mmsi": 412000001, "ts": t, "name": "A"}
    pq.write_table(pa.Table.from_pylist([row], schema=old), folder / "old.parquet")
    ws = Workspace(tmp_path / "ws")
    ids = ws.identities()
    assert ids.column("n_reports").to_pylist() == [None]
    first, last, count = report_times(ids)
    assert (first[0], last[0], count[0]) == (t.timestamp(), t.timestamp(), 1)
    assert ws.identity_variants().num_rows == 1

"""Parquet reader: canonical positions and identities, cast and validated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.errors import FormatError
from watchkeeper.ingest.csv import read_csv
from watchkeeper.ingest.parquet import detect_layer, iter_parquet, read_parquet
from watchkeeper.publish import write_positions_parquet
from watchkeeper.schema import IDENTITIES, POSITIONS, Decoded

NOAA = "csv/noaa/AIS_2022_01_03_first99999.csv.gz"


@pytest.fixture(scope="module")
def noaa(shared_data: Path) -> Decoded:
    return read_csv(shared_data / NOAA)


def _same_but_line(a: pa.Table, b: pa.Table) -> bool:
    """Equal except ``line``: a re-read Parquet file cites its own row numbers."""
    return bool(a.drop_columns(["line"]).equals(b.drop_columns(["line"])))


def test_positions_round_trip(noaa: Decoded, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    assert write_positions_parquet(noaa.positions, path) == noaa.positions.num_rows
    back = read_parquet(path)
    assert _same_but_line(back.positions, noaa.positions)
    assert back.positions.column("line").to_pylist() == list(range(1, back.positions.num_rows + 1))
    assert back.identities.num_rows == 0 and back.rejects.num_rows == 0


def test_identities_detected_by_columns(noaa: Decoded, tmp_path: Path) -> None:
    path = tmp_path / "i.parquet"
    pq.write_table(noaa.identities, path)
    back = read_parquet(path)
    assert _same_but_line(back.identities, noaa.identities)
    assert back.positions.num_rows == 0


def test_batches_are_bounded(noaa: Decoded, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(noaa.positions, path)
    parts = list(iter_parquet(path, batch_rows=30_000))
    assert [p.positions.num_rows for p in parts][:-1] == [30_000] * (len(parts) - 1)
    assert _same_but_line(Decoded.concat(parts).positions, noaa.positions)


def test_loose_types_are_cast_and_bad_rows_rejected(tmp_path: Path) -> None:
    path = tmp_path / "loose.parquet"
    table = pa.table(
        {
            "mmsi": pa.array([366999999, 0, 366999999, 366999999], pa.int32()),
            "ts": ["2022-01-03T00:00:00", "2022-01-03T00:00:00", "not a time", "2022-01-03"],
            "lat": [37.8, 37.8, 37.8, 0.0],
            "lon": [-122.4, -122.4, -122.4, 0.0],
            "heading_deg": pa.array([511, 90, 90, 90], pa.int64()),
        }
    )
    pq.write_table(table, path)
    d = read_parquet(path)
    assert d.positions.schema.equals(POSITIONS)
    assert d.positions.to_pylist()[0]["heading_deg"] is None  # 511: not available
    assert d.positions.column("source").to_pylist() == ["loose.parquet"]
    rejects = {r["line"]: r for r in d.rejects.to_pylist()}
    assert {k: r["reason"] for k, r in rejects.items()} == {
        2: "bad_mmsi",
        3: "bad_timestamp",
        4: "null_island",
    }
    assert json.loads(rejects[3]["raw"])["ts"] == "not a time"


def test_naive_timestamps_are_utc(tmp_path: Path) -> None:
    path = tmp_path / "naive.parquet"
    ts = pa.array([datetime(2022, 1, 3, 12, 0)], pa.timestamp("us"))
    pq.write_table(pa.table({"mmsi": [1], "ts": ts, "lat": [1.0], "lon": [2.0]}), path)
    row = read_parquet(path).positions.to_pylist()[0]
    assert row["ts"] == datetime(2022, 1, 3, 12, 0, tzinfo=UTC)


def test_unknown_columns_are_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"a": [1], "b": [2]}), path)
    with pytest.raises(FormatError, match="neither positions"):
        read_parquet(path)


def test_not_parquet_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_text("MMSI,LAT\n")
    with pytest.raises(FormatError, match="not a readable Parquet"):
        read_parquet(path)


def test_detect_layer() -> None:
    assert detect_layer(POSITIONS.names) == "positions"
    assert detect_layer(IDENTITIES.names) == "identities"


def test_static_columns_of_positions_are_identity_reports(tmp_path: Path) -> None:
    """Static columns on position rows count as reports, as in a CSV: the ingest stores them
    as one run per value with its count (docs/formats.md)."""
    from watchkeeper import Workspace
    from watchkeeper.ingest.pipeline import ingest_file

    t0 = datetime(2024, 3, 4, tzinfo=UTC)
    rows = [
        {"mmsi": 412000001, "ts": t0.replace(minute=m), "lat": 30.0, "lon": 122.0 + m / 100}
        | {"name": "SEA STAR", "draught_m": 8.0 if m < 30 else 11.5}
        for m in range(0, 60, 6)
    ]
    path = tmp_path / "with_static.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    decoded = read_parquet(path)
    assert decoded.positions.num_rows == 10 and decoded.identities.num_rows == 10
    ws = Workspace(tmp_path / "ws")
    summary = ingest_file(ws, path)
    runs = ws.read("identities").sort_by("ts").to_pylist()
    assert summary.identities == 2
    assert [(r["draught_m"], r["n_reports"]) for r in runs] == [(8.0, 5), (11.5, 5)]
    assert runs[0]["ts_last"] == t0.replace(minute=24)

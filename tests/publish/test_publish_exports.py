"""Event export dispatch (``export_events``) on an in-memory store."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.publish.exports import ALL_EVENT_FORMATS, export_events
from watchkeeper.schema import EVENTS
from watchkeeper.store import MemoryStore

T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)


def _store() -> MemoryStore:
    rows = [
        {
            "event_id": "e1",
            "type": "encounter",
            "mmsi": 1,
            "other_mmsi": 2,
            "start": T0,
            "end": None,
            "lat": 1.5,
            "lon": 2.5,
            "confidence": 0.8,
            "details": '{"d": 1}',
            "evidence": "{}",
        },
        {
            "event_id": "e2",
            "type": "ais_gap",
            "mmsi": 3,
            "other_mmsi": None,
            "start": T0,
            "end": T0,
            "lat": None,
            "lon": None,
            "confidence": 0.5,
            "details": None,
            "evidence": None,
        },
    ]
    store = MemoryStore()
    store.write_events(
        pa.Table.from_pylist([{f.name: r.get(f.name) for f in EVENTS} for r in rows], EVENTS)
    )
    return store


def test_csv_has_iso_times_and_an_empty_open_end(tmp_path: Path) -> None:
    out = tmp_path / "e.csv"
    assert export_events(_store(), "csv", out) == 2
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert rows[0]["start"] == "2024-03-01T06:00:00Z" and rows[0]["end"] == ""
    assert [r["event_id"] for r in rows] == ["e1", "e2"]


def test_geojson_points_and_parsed_details(tmp_path: Path) -> None:
    out = tmp_path / "e.geojson"
    assert export_events(_store(), "geojson", out, types=["encounter"]) == 1
    doc = json.loads(out.read_text())
    feat = doc["features"][0]
    assert feat["geometry"] == {"type": "Point", "coordinates": [2.5, 1.5]}
    assert feat["properties"]["details"] == {"d": 1} and feat["properties"]["end"] is None


def test_every_format_writes(tmp_path: Path) -> None:
    for fmt in ALL_EVENT_FORMATS:
        out = tmp_path / f"e.{fmt}"
        n = export_events(_store(), fmt, out)
        # items: rows or features, except CoT (a marker needs a position) and FtM (entities)
        assert n == {"cot": 1, "ftm": 3}.get(fmt, 2), fmt
        assert out.stat().st_size > 0
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 2


def test_bad_requests() -> None:
    with pytest.raises(NotFoundError, match="run `watchkeeper detect"):
        export_events(MemoryStore(), "csv", "-")
    with pytest.raises(ConfigError, match="unknown format"):
        export_events(_store(), "xlsx", "-")
    with pytest.raises(ConfigError, match="needs a file"):
        export_events(_store(), "parquet", "-")

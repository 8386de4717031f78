"""The scale benchmark's real-shaped days: each copy of the real day is other vessels (fresh
MMSIs of the same MID, no shared IMO), 5.5 km further north, on the day asked for."""

from __future__ import annotations

import importlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.schema import IDENTITIES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> Any:
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module("benchmarks.bench_scale")
    finally:
        sys.path.remove(str(ROOT))


def test_copies_get_fresh_mmsis_of_the_same_mid(bench: Any) -> None:
    real = np.array([366_999_999, 366_999_998, 367_000_001, 538_001_234])
    maps = bench._new_mmsis(real, 3)
    assert maps[0] == {int(m): int(m) for m in real}
    seen = set(map(int, real))
    for mapping in maps[1:]:
        assert sorted(mapping) == sorted(map(int, real))
        for old, new in mapping.items():
            assert new // 1_000_000 == old // 1_000_000  # the flag (MID) is kept
            assert new not in seen  # not a real vessel, nor another copy's
            seen.add(new)


def test_a_copy_is_shifted_north_on_its_day_without_imo(bench: Any) -> None:
    t = datetime(2020, 1, 1, 12, tzinfo=UTC)
    ids = pa.Table.from_pylist(
        [{"mmsi": 366_000_001, "ts": t, "ts_last": t, "imo": 9_018_464, "callsign": "WX1"}],
        schema=IDENTITIES,
    )
    copy = bench._copy(ids, {366_000_001: 366_999_999}, 2, 2).to_pylist()[0]
    assert copy["mmsi"] == 366_999_999
    assert copy["ts"] == copy["ts_last"] == datetime(2020, 1, 3, 12, tzinfo=UTC)  # day 2: forward
    assert copy["imo"] is None and copy["callsign"] is None
    pos = pa.table({"mmsi": pa.array([366_000_001], pa.int64()), "ts": [t], "lat": [40.0]})
    moved = bench._copy(pos, {366_000_001: 366_999_999}, 2, 0).to_pylist()[0]
    assert moved["lat"] == pytest.approx(40.0 + 2 * 0.0495)
    assert moved["ts"] == t


def test_an_odd_day_plays_the_real_day_backward(bench: Any) -> None:
    first, last = datetime(2020, 1, 1, 0, 0, tzinfo=UTC), datetime(2020, 1, 1, 23, 0, tzinfo=UTC)
    ids = pa.Table.from_pylist(
        [{"mmsi": 366_000_001, "ts": first, "ts_last": last, "name": "A"}], schema=IDENTITIES
    )
    row = bench._copy(ids, {366_000_001: 366_000_001}, 0, 1).to_pylist()[0]
    # a run from 00:00 to 23:00 on day 0 runs from 01:00 to 23:59:59.999 on day 1
    assert row["ts"] == datetime(2020, 1, 2, 0, 59, 59, 999_000, tzinfo=UTC)
    assert row["ts_last"] == datetime(2020, 1, 2, 23, 59, 59, 999_000, tzinfo=UTC)
    pos = pa.table(
        {
            "mmsi": pa.array([366_000_001], pa.int64()),
            "ts": [last],
            "cog_deg": pa.array([270.0], pa.float32()),
            "heading_deg": pa.array([270], pa.int16()),
        }
    )
    moved = bench._copy(pos, {366_000_001: 366_000_001}, 0, 1).to_pylist()[0]
    assert moved["cog_deg"] == 90.0 and moved["heading_deg"] is None

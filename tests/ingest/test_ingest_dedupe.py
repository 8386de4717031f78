"""Duplicate position reports: stored once, counted, within a file and across files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from nmea_helpers import encoded, tagged

from watchkeeper import Workspace
from watchkeeper.ingest import dedupe
from watchkeeper.ingest.dedupe import Deduper
from watchkeeper.ingest.pipeline import ingest_file
from watchkeeper.schema import Quality

T0 = datetime(2024, 3, 4, 12, tzinfo=UTC)


def _rows(*rows: tuple[int, float, float, float]) -> pa.Table:
    """Positions (mmsi, seconds after T0, lat, lon) as the store types them."""
    return pa.Table.from_pylist(
        [
            {"mmsi": m, "ts": T0 + timedelta(seconds=s), "lat": float(la), "lon": float(lo)}
            for m, s, la, lo in rows
        ]
    )


def test_the_same_report_within_a_second_is_a_duplicate() -> None:
    d = Deduper()
    kept = d.keep(_rows((1, 0, 30, 120), (1, 1, 30, 120), (1, 0, 30, 120), (2, 0, 30, 120)))
    assert kept.num_rows == 2 and d.duplicates == 2


def test_reports_two_seconds_apart_or_elsewhere_are_kept() -> None:
    d = Deduper()
    kept = d.keep(_rows((1, 0, 30, 120), (1, 2, 30, 120), (1, 0, 30.0001, 120)))
    assert kept.num_rows == 3 and d.duplicates == 0


def test_duplicates_across_chunks_and_days() -> None:
    d = Deduper()
    d.keep(_rows((1, 0, 30, 120)))
    assert d.keep(_rows((1, 1, 30, 120), (1, 86_400, 30, 120))).num_rows == 1
    assert d.duplicates == 1


def test_assumed_times_are_never_duplicates() -> None:
    rows = _rows((1, 0, 30, 120), (1, 0, 30, 120))
    rows = rows.append_column("quality", pa.array([int(Quality.TIME_ASSUMED)] * 2, pa.int16()))
    assert Deduper().keep(rows).num_rows == 2


def test_stored_day_is_checked(tmp_path: Path) -> None:
    stored = _rows((1, 0, 30, 120))
    d = Deduper(lambda day: stored)
    assert d.keep(_rows((1, 1, 30, 120), (1, 60, 30.01, 120))).num_rows == 1


def _position(mmsi: int, lat: float) -> str:
    """One type 1 sentence of ``mmsi`` at (``lat``, 120 E)."""
    msg = {"type": 1, "mmsi": mmsi, "lat": lat, "lon": 120.0, "speed": 10.0, "course": 90.0}
    (line,) = encoded(msg)
    return line


def test_two_receivers_files_of_one_day(tmp_path: Path) -> None:
    """A second receiver's file of the same day adds only what the first did not hear."""
    a, b = _position(412000001, 30.0), _position(412000002, 31.0)
    t = 1_709_553_600  # 2024-03-04T12:00Z
    first = tmp_path / "r1.nmea"
    first.write_text(tagged(f"s:r1,c:{t}", a) + "\n")
    second = tmp_path / "r2.nmea"
    second.write_text(tagged(f"s:r2,c:{t + 1}", a) + "\n" + tagged(f"s:r2,c:{t}", b) + "\n")
    ws = Workspace(tmp_path / "ws")
    assert ingest_file(ws, first).positions == 1
    s2 = ingest_file(ws, second)
    assert (s2.positions, s2.duplicates) == (1, 1)
    assert ws.count("positions") == 2


def test_many_chunks_of_one_day_merge_their_keys() -> None:
    """Past the pending limit the day's keys are merged into the sorted part: still found."""
    import numpy as np

    n = 150_000
    table = pa.table(
        {
            "mmsi": pa.array(np.arange(n) % 997 + 1, pa.int64()),
            "ts": pa.array(T0.timestamp() * 1000 + np.arange(n) * 500, pa.int64()).cast(
                pa.timestamp("ms", tz="UTC")
            ),
            "lat": pa.array(np.linspace(20, 40, n)),
            "lon": pa.array(np.full(n, 120.0)),
        }
    )
    d = Deduper()
    for i in range(0, n, 20_000):
        assert d.keep(table.slice(i, 20_000)).num_rows == min(20_000, n - i)
    assert d.keep(table.take(pa.array(np.arange(0, n, 7)))).num_rows == 0
    assert d.duplicates == len(range(0, n, 7))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 60), max_size=30),
    st.lists(st.tuples(st.booleans(), st.lists(st.integers(0, 60), max_size=12)), max_size=12),
    st.integers(1, 8),
)
def test_day_keys_are_a_set(
    stored: list[int], steps: list[tuple[bool, list[int]]], merge_min: int
) -> None:
    """A day's keys (sorted array, sorted recent keys, merges) answer as a plain set does."""
    with patch.object(dedupe, "_MERGE_MIN", merge_min):
        keys = dedupe._DayKeys(np.array(stored, dtype=np.uint64))
        known = set(stored)
        for add, values in steps:
            probe = np.array(values, dtype=np.uint64)
            assert keys.contains(probe).tolist() == [v in known for v in values]
            if add:
                keys.add(probe)
                known.update(values)

"""Data coverage: positions per hour and per region, short and lopsided samples."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from watchkeeper import Workspace, ingest_files
from watchkeeper.errors import ConfigError
from watchkeeper.store.coverage import (
    CoverageParams,
    Region,
    assess_coverage,
    core_window,
    workspace_coverage,
)

EXCERPT = Path(__file__).resolve().parents[1] / "data" / "noaa_2022_01_03_excerpt.csv.gz"
T0 = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp()) // 60  # epoch minute


def _day(per_minute: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A whole day with positions every minute, busier by day than by night."""
    minutes = np.arange(T0, T0 + 24 * 60)
    hour = (minutes - T0) // 60
    return minutes, np.where((hour >= 6) & (hour < 20), per_minute, per_minute // 2)


def test_a_whole_day_is_neither_short_nor_lopsided() -> None:
    cov = assess_coverage(*_day())
    assert cov.hours_spanned == 24 and cov.hours_with_data == 24
    assert not cov.short and not cov.lopsided and cov.warnings == []
    assert sum(cov.per_hour.values()) == cov.positions


def test_twenty_minutes_and_a_few_late_rows_are_short_and_lopsided() -> None:
    """The shape of the NOAA 2022 sample: nearly all rows in the first minutes of a day."""
    minutes = np.concatenate([np.arange(T0, T0 + 20), [T0 + 14 * 60, T0 + 23 * 60 + 30]])
    counts = np.concatenate([np.full(20, 5000), [9, 343]])
    cov = assess_coverage(minutes, counts)
    assert cov.short and cov.lopsided
    assert cov.core_h == pytest.approx(20 / 60) and cov.core_share == pytest.approx(0.9965, 1e-3)
    assert cov.busy_hours == 1 and cov.hours_spanned == 24 and cov.hours_with_data == 3
    assert len(cov.warnings) == 2 and "20 minutes" in cov.warnings[0]


def test_one_busy_day_among_quiet_ones_is_lopsided_not_short() -> None:
    m1, c1 = _day()
    half = assess_coverage(np.concatenate([m1, m1 + 24 * 60]), np.concatenate([c1, c1 // 2]))
    assert not half.short and not half.lopsided  # a second day at half the rate: fine
    quiet = [m1 + k * 24 * 60 for k in (1, 2, 3)]
    cov = assess_coverage(np.concatenate([m1, *quiet]), np.concatenate([c1, *[c1 // 20] * 3]))
    assert not cov.short and cov.lopsided  # one busy day dominates four
    assert cov.hours_spanned == 96 and cov.busy_hours < 48


def test_core_window() -> None:
    minutes = np.array([0, 10, 11, 12, 500])
    assert core_window(minutes, np.array([1, 30, 40, 28, 1]), 0.98) == (10, 12, 98)
    assert core_window(minutes, np.array([1, 1, 1, 1, 1]), 1.0) == (0, 500, 5)


def test_regions_are_sorted_and_listed_up_to_the_limit() -> None:
    regions = [Region(f"r{i}", (0, 0, 5, 5), i, 1, 1) for i in range(30)]
    cov = assess_coverage(*_day(), regions, CoverageParams(max_regions=3))
    assert [r.label for r in cov.regions] == ["r29", "r28", "r27"] and cov.n_regions == 30


def test_empty_data() -> None:
    cov = assess_coverage(np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert cov.positions == 0 and cov.warnings == [] and cov.as_dict()["core_start"] is None


def test_parameters_are_validated() -> None:
    with pytest.raises(ConfigError):
        CoverageParams(core_share=1.5)
    with pytest.raises(ConfigError):
        CoverageParams(cell_deg=0)


def test_real_noaa_excerpt_warns(tmp_path: Path) -> None:
    """tests/data/noaa_2022_01_03_excerpt.csv.gz: rows of the NOAA 2022 sample."""
    ws = Workspace(tmp_path / "ws")
    ingest_files([EXCERPT], ws)
    cov = workspace_coverage(ws)
    assert cov.short and cov.lopsided
    assert cov.core_start == datetime(2022, 1, 3, tzinfo=UTC) and cov.core_h < 0.5
    assert cov.hours_with_data == 3 and cov.hours_spanned == 24
    every = workspace_coverage(ws, CoverageParams(max_regions=1000)).regions
    assert len(every) == cov.n_regions > len(cov.regions) == CoverageParams().max_regions
    assert sum(r.positions for r in every) == cov.positions  # every row has a position
    gulf = next(r for r in cov.regions if r.label == "25N-30N 95W-90W")  # Louisiana coast
    assert gulf.bounds == (-95.0, 25.0, -90.0, 30.0) and gulf.vessels > 50
    d = cov.as_dict()
    assert d["core_end"] == "2022-01-03T00:24:00+00:00" and d["short"] is True

"""Reception map: counts per cell and hour, merging, and coverage look-ups on a real day."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from _real_excerpts import reception
from watchkeeper.context.reception import Coverage, CoverageParams, merge_maps, reception_map
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.build import concat, track

DAY_MAP = "noaa_2020_01_01_reception_map.csv"


def _sorted(t: pa.Table) -> list[dict[str, object]]:
    return t.sort_by([("cy", "ascending"), ("cx", "ascending"), ("hour", "ascending")]).to_pylist()


def test_counts_messages_and_distinct_vessels_per_cell_and_hour() -> None:
    a = track(1, "2024-01-01T00:00", 10.1, 20.1, [(m, 0, 0) for m in (0, 10, 20, 70)])
    b = track(2, "2024-01-01T00:30", 10.2, 20.2, [(0, 0, 0)])
    rows = _sorted(reception_map(concat(a, b)).table)
    hour0 = 1_704_067_200 // 3600
    assert rows == [
        {"cy": 40, "cx": 80, "hour": hour0, "messages": 4, "vessels": 2},
        {"cy": 40, "cx": 80, "hour": hour0 + 1, "messages": 1, "vessels": 1},
    ]


def test_merge_of_hour_split_pieces_is_the_map_of_the_whole() -> None:
    steps = [(m, m * 100.0, 0) for m in range(0, 600, 7)]
    whole = concat(
        track(1, "2024-01-01", 10.0, 20.0, steps), track(2, "2024-01-01", 10.3, 20.0, steps)
    )
    hour = whole.column("ts").cast(pa.int64()).to_numpy() // 3_600_000
    cut = hour.min() + 4
    early, late = whole.filter(pa.array(hour < cut + 1)), whole.filter(pa.array(hour >= cut))
    merged = merge_maps(reception_map(early), reception_map(late))  # hour `cut` seen by both
    assert _sorted(merged.table) == _sorted(reception_map(whole).table)
    assert _sorted(merge_maps(merged, merged).table) == _sorted(merged.table)


def test_maps_of_different_cells_are_not_merged() -> None:
    t = track(1, "2024-01-01", 10.0, 20.0, [(0, 0, 0)])
    with pytest.raises(ConfigError, match="cell sizes"):
        merge_maps(reception_map(t, 0.25), reception_map(t, 0.5))


def test_real_day_coverage_ends_at_the_edge_of_the_heard_area() -> None:
    cov = Coverage.of(reception(DAY_MAP))
    # Delaware Bay entrance (busy, heard all day) vs the last position of a tanker sailing
    # south out of the receivers' area at 14.7 kn (38.005 N, 74.739 W, 2020-01-01 00:27)
    lat, lon = np.array([38.80, 38.005]), np.array([-75.05, -74.739])
    assert cov.covered(lat, lon).tolist() == [True, True]
    assert cov.edge(lat, lon).tolist() == [False, True]
    south, east = np.array([190.0, 90.0]), np.array([14.7, 14.7])
    assert cov.leaving(lat[[1, 1]], lon[[1, 1]], south, east).tolist()[0] is True
    assert not cov.leaving(lat[:1], lon[:1], np.array([190.0]), np.array([0.2]))[0]  # at anchor


def test_heard_hours_count_whole_hours_inside_the_silence() -> None:
    cov = Coverage.of(reception(DAY_MAP))
    t0 = np.array([1_577_836_800.0 + 1800])  # 2020-01-01T00:30Z
    hours, data, heard = cov.heard_hours(np.array([38.8]), np.array([-75.05]), t0, t0 + 6 * 3600)
    assert hours.tolist() == [5] and data.tolist() == [5] and heard.tolist() == [5]
    far = cov.heard_hours(np.array([0.0]), np.array([0.0]), t0, t0 + 6 * 3600)
    assert far[2].tolist() == [0] and far[1].tolist() == [5]


def test_unheard_water_between_lanes_is_no_edge_but_open_sea_beyond_is() -> None:
    # two east-west lanes 0.75 degrees apart in the mid-Atlantic, heard every hour for 6 h
    lanes = [
        track(m, "2024-01-01", lat, -40.0, [(h * 10, h * 10 * 300.0, 0) for h in range(36)])
        for m, lat in ((1, 30.1), (2, 30.85))
    ]
    t = concat(*lanes)
    cov = Coverage.of(reception_map(t))
    between = cov.leaving(np.array([30.1]), np.array([-39.9]), np.array([0.0]), np.array([10.0]))
    assert not between[0]  # heading north into the 0.5-degree gap between the lanes
    away = cov.leaving(np.array([30.1]), np.array([-39.9]), np.array([180.0]), np.array([10.0]))
    assert away[0]  # heading south into sea no one was heard in
    closed = Coverage.of(reception_map(t), CoverageParams(hole_cells=0))
    assert closed.leaving(np.array([30.1]), np.array([-39.9]), np.array([0.0]), np.array([10.0]))[0]

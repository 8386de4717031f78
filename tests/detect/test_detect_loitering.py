"""Loitering: still at sea, not sailing, not a short stop, across satellite passes."""

from __future__ import annotations

from watchkeeper.detect import LoiterParams, detect_loitering
from watchkeeper.tracks import clean, segment
from watchkeeper.tracks.build import concat, stationary, track


def _tracks(*t):  # type: ignore[no-untyped-def]
    return segment(clean(concat(*t)))


def test_loitering_at_sea_but_not_sailing() -> None:
    still = stationary(1, "2024-01-01T23:00", 30.0, 150.0, hours=3)
    moving = track(2, "2024-01-01", 30.0, 151.0, [(i * 10, i * 3000.0, 0.0) for i in range(20)])
    ev = detect_loitering(_tracks(still, moving))
    assert ev.column("mmsi").to_pylist() == [1]


def test_short_stop_is_not_loitering() -> None:
    assert (
        detect_loitering(_tracks(stationary(1, "2024-01-01", 30.0, 150.0, hours=1))).num_rows == 0
    )


def test_still_vessel_seen_by_satellite_passes_is_loitering() -> None:
    passes = [(m, m * 5.0, 0.0) for m in (0, 70, 160, 250)]  # ~0.16 kn drift, holes of 1.5 h
    t = track(1, "2024-01-01T22:00", 30.0, 150.0, passes, sog_kn=0.3)
    ev = detect_loitering(_tracks(t))
    assert ev.num_rows == 1
    assert ev.to_pylist()[0]["end"].day == 2


def test_vessel_that_moved_during_a_hole_is_not_loitering() -> None:
    steps = [(0, 0.0, 0.0), (30, 10.0, 0.0), (150, 30_000.0, 0.0), (180, 30_010.0, 0.0)]
    t = track(1, "2024-01-01", 30.0, 150.0, steps, sog_kn=0.3)  # 8 kn between the passes
    assert detect_loitering(_tracks(t)).num_rows == 0


def test_one_pass_between_moving_reports_is_not_loitering() -> None:
    # sailing at ~8.6 kn, then one satellite pass (two slow reports 4 min apart), sailing on:
    # half of each 2.5 h silence would make it 2.6 h, but it was seen still only once
    fast = track(1, "2024-01-01", 30.0, 150.0, [(0, 0, 0), (300, 80_000, 0)], sog_kn=8.6)
    slow = track(1, "2024-01-01T02:30", 30.0, 150.0, [(0, 40_000, 0), (4, 40_000, 0)], sog_kn=0.3)
    assert detect_loitering(_tracks(fast, slow)).num_rows == 0
    lenient = LoiterParams(min_observed_h=0.0)
    assert detect_loitering(_tracks(fast, slow), params=lenient).num_rows == 1

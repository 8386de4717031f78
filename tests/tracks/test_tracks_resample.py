"""Resampling to 10-minute slices: antimeridian, no interpolation across long gaps."""

from __future__ import annotations

import numpy as np

from watchkeeper.tracks import ResampleParams, clean, resample, segment
from watchkeeper.tracks.build import track


def test_interpolates_the_short_way_across_the_antimeridian() -> None:
    t = track(1, "2024-01-01T00:00", 0.0, 179.99, [(0, 0, 0), (20, 2000, 0)])
    r = resample(segment(clean(t)))
    lon = r.column("lon").to_numpy()
    assert r.num_rows == 3
    assert np.all((lon > 179.9) | (lon < -179.9))


def test_no_interpolation_across_an_hour_when_the_vessel_moved() -> None:
    t = track(1, "2024-01-01T00:00", 0.0, 0.0, [(0, 0, 0), (120, 30_000, 0)])
    r = resample(segment(clean(t)))
    assert r.num_rows == 2  # only the slices of the two positions themselves


def test_a_still_vessel_is_held_across_a_satellite_hole() -> None:
    t = track(1, "2024-01-01T00:00", 0.0, 0.0, [(0, 0, 0), (180, 300, 0)], sog_kn=0.1)
    r = resample(segment(clean(t)))
    assert r.num_rows == 19  # every slice of the 3 h hole, both ends included
    assert np.all(np.diff(r.column("lon").to_numpy()) >= 0)  # drifts linearly east


def test_no_hold_beyond_the_gap_threshold_or_when_disabled() -> None:
    long_hole = track(1, "2024-01-01T00:00", 0.0, 0.0, [(0, 0, 0), (420, 0, 0)], sog_kn=0.1)
    assert resample(segment(clean(long_hole))).num_rows == 2
    short = track(1, "2024-01-01T00:00", 0.0, 0.0, [(0, 0, 0), (120, 0, 0)], sog_kn=0.1)
    off = ResampleParams(max_hold_gap_s=0.0)
    assert resample(segment(clean(short)), off).num_rows == 2


def test_slow_reports_but_a_fast_displacement_are_not_held() -> None:
    t = track(1, "2024-01-01T00:00", 0.0, 0.0, [(0, 0, 0), (120, 20_000, 0)], sog_kn=0.5)
    assert resample(segment(clean(t))).num_rows == 2

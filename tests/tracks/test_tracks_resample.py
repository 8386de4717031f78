"""Resampling to 10-minute slices: antimeridian, no interpolation across long gaps."""

from __future__ import annotations

import numpy as np

from watchkeeper.tracks import clean, resample, segment
from watchkeeper.tracks.build import track


def test_interpolates_the_short_way_across_the_antimeridian() -> None:
    t = track(1, "2024-01-01T00:00", 0.0, 179.99, [(0, 0, 0), (20, 2000, 0)])
    r = resample(segment(clean(t)))
    lon = r.column("lon").to_numpy()
    assert r.num_rows == 3
    assert np.all((lon > 179.9) | (lon < -179.9))


def test_no_interpolation_across_a_gap_of_an_hour() -> None:
    t = track(1, "2024-01-01T00:00", 0.0, 0.0, [(0, 0, 0), (120, 0, 0)])
    r = resample(segment(clean(t)))
    assert r.num_rows == 2  # only the slices of the two positions themselves

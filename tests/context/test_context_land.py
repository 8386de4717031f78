"""Land mask and distance to shore."""

from __future__ import annotations

import numpy as np

from watchkeeper.context.land import distance_to_shore_km, is_land


def test_land_and_sea() -> None:
    assert is_land(np.array([48.85]), np.array([2.35]))[0]  # Paris
    assert not is_land(np.array([30.0]), np.array([-40.0]))[0]  # mid-Atlantic


def test_shore_distance_grows_offshore() -> None:
    d = distance_to_shore_km(np.array([38.7, 30.0]), np.array([125.0, -40.0]))
    assert 0 < d[0] <= 50
    assert np.isinf(d[1])

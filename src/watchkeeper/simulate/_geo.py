"""The simulator's geodesy: :mod:`watchkeeper.tracks.geo` on the simulator's sphere."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from watchkeeper.tracks.geo import bearing_deg, destination_deg, haversine_m

__all__ = ["EARTH_M", "KN", "bearing_deg", "distance_m", "offset"]

# The simulator's Earth radius (IUGG mean, rounded). Kept apart from tracks.geo's 6,371,008.8 m
# so that every seed simulates the same tracks as before (a ppm change moves thresholds' edges).
EARTH_M = 6_371_000.0
KN = 1852.0 / 3600.0  # metres per second in one knot

Arr = npt.NDArray[np.float64]


def distance_m(lat1: Arr | float, lon1: Arr | float, lat2: Arr | float, lon2: Arr | float) -> Arr:
    """Great-circle distance in metres (haversine), broadcasting over arrays."""
    return haversine_m(lat1, lon1, lat2, lon2, radius_m=EARTH_M)


def offset(
    lat: Arr | float, lon: Arr | float, bearing: Arr | float, dist_m: Arr | float
) -> tuple[Arr, Arr]:
    """The point ``dist_m`` metres from (lat, lon) on ``bearing`` degrees (flat local frame)."""
    return destination_deg(lat, lon, bearing, dist_m, radius_m=EARTH_M)

"""Small vectorised geodesy for the simulator (spherical Earth; good to < 0.5 % here)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["EARTH_M", "KN", "bearing_deg", "distance_m", "offset"]

EARTH_M = 6_371_000.0  # mean Earth radius (IUGG)
KN = 1852.0 / 3600.0  # metres per second in one knot

Arr = npt.NDArray[np.float64]


def distance_m(lat1: Arr | float, lon1: Arr | float, lat2: Arr | float, lon2: Arr | float) -> Arr:
    """Great-circle distance in metres (haversine), broadcasting over arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), dtype=np.float64)


def bearing_deg(lat1: Arr | float, lon1: Arr | float, lat2: Arr | float, lon2: Arr | float) -> Arr:
    """Initial true bearing from point 1 to point 2, degrees in [0, 360)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray(np.degrees(np.arctan2(y, x)) % 360.0, dtype=np.float64)


def offset(
    lat: Arr | float, lon: Arr | float, bearing: Arr | float, dist_m: Arr | float
) -> tuple[Arr, Arr]:
    """The point ``dist_m`` metres from (lat, lon) on ``bearing`` degrees (flat local frame)."""
    b = np.radians(bearing)
    dlat = np.asarray(dist_m) * np.cos(b) / EARTH_M
    dlon = np.asarray(dist_m) * np.sin(b) / (EARTH_M * np.cos(np.radians(lat)))
    return (
        np.asarray(np.asarray(lat) + np.degrees(dlat), dtype=np.float64),
        np.asarray(np.asarray(lon) + np.degrees(dlon), dtype=np.float64),
    )

"""Vectorised spherical geometry shared by tracks and detectors (numpy, NaN propagates)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["EARTH_RADIUS_M", "M_PER_NM", "haversine_m", "offset_deg", "wrap_lon"]

Floats = npt.NDArray[np.float64]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius
M_PER_NM = 1852.0  # international nautical mile


def haversine_m(
    lat1: Floats | float, lon1: Floats | float, lat2: Floats | float, lon2: Floats | float
) -> Floats:
    """Great-circle distance in metres; correct across the antimeridian.

    >>> round(float(haversine_m(0.0, 179.99, 0.0, -179.99)))
    2224
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def wrap_lon(lon: Floats | float) -> Floats:
    """Longitude folded into [-180, 180)."""
    return np.asarray((np.asarray(lon) + 180.0) % 360.0 - 180.0)


def offset_deg(
    lat: Floats | float, lon: Floats | float, east_m: Floats | float, north_m: Floats | float
) -> tuple[Floats, Floats]:
    """The point ``east_m`` east and ``north_m`` north of (lat, lon) (local flat approximation)."""
    dlat = np.degrees(np.asarray(north_m) / EARTH_RADIUS_M)
    coslat = np.maximum(np.cos(np.radians(lat)), 1e-6)
    dlon = np.degrees(np.asarray(east_m) / (EARTH_RADIUS_M * coslat))
    return np.asarray(lat + dlat), wrap_lon(np.asarray(lon) + dlon)

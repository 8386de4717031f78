"""Vectorised spherical geometry shared by tracks and detectors (numpy, NaN propagates)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "EARTH_RADIUS_M",
    "M_PER_NM",
    "bearing_deg",
    "destination_deg",
    "haversine_m",
    "offset_deg",
    "wrap_lon",
]

Floats = npt.NDArray[np.float64]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius
M_PER_NM = 1852.0  # international nautical mile


def haversine_m(
    lat1: Floats | float,
    lon1: Floats | float,
    lat2: Floats | float,
    lon2: Floats | float,
    *,
    radius_m: float = EARTH_RADIUS_M,
) -> Floats:
    """Great-circle distance in metres; correct across the antimeridian.

    >>> round(float(haversine_m(0.0, 179.99, 0.0, -179.99)))
    2224
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * radius_m * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


def bearing_deg(
    lat1: Floats | float, lon1: Floats | float, lat2: Floats | float, lon2: Floats | float
) -> Floats:
    """Initial great-circle bearing from point 1 to point 2, degrees from north in [0, 360).

    >>> float(bearing_deg(0.0, 0.0, 1.0, 0.0))
    0.0
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray(np.degrees(np.arctan2(y, x)) % 360.0, dtype=np.float64)


def destination_deg(
    lat: Floats | float,
    lon: Floats | float,
    bearing: Floats | float,
    dist_m: Floats | float,
    *,
    radius_m: float = EARTH_RADIUS_M,
) -> tuple[Floats, Floats]:
    """The point ``dist_m`` metres from (lat, lon) on ``bearing`` degrees, in a local flat
    frame (longitude not wrapped: good for the short steps of a simulated track)."""
    b = np.radians(bearing)
    dlat = np.asarray(dist_m) * np.cos(b) / radius_m
    dlon = np.asarray(dist_m) * np.sin(b) / (radius_m * np.cos(np.radians(lat)))
    return (
        np.asarray(np.asarray(lat) + np.degrees(dlat), dtype=np.float64),
        np.asarray(np.asarray(lon) + np.degrees(dlon), dtype=np.float64),
    )


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

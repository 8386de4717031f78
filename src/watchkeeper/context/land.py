"""Land and distance to shore from ``global-land-mask`` (1 km GLOBE mask, offline).

Distance to shore is a lower bound found by probing rings of points around each position:
cheap, vectorised and accurate enough for thresholds such as GFW's 20 nm and 50 nm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from global_land_mask import globe

from watchkeeper.tracks.geo import offset_deg

__all__ = ["RINGS_KM", "distance_to_shore_km", "is_land"]

Floats = npt.NDArray[np.float64]

#: Radii probed by :func:`distance_to_shore_km` (km); beyond the last one is "far".
RINGS_KM = (1.0, 2.0, 5.0, 10.0, 20.0, 37.0, 50.0, 93.0, 150.0)
_BEARINGS = np.radians(np.arange(0, 360, 22.5))


def is_land(lat: Floats | float, lon: Floats | float) -> npt.NDArray[np.bool_]:
    """Whether each point is on land (lakes count as land in the mask)."""
    la = np.clip(np.asarray(lat, dtype=np.float64), -90.0, 90.0)
    lo = np.asarray(lon, dtype=np.float64)
    lo = (lo + 180.0) % 360.0 - 180.0
    return np.asarray(globe.is_land(la, lo), dtype=bool)


def distance_to_shore_km(lat: Floats | float, lon: Floats | float) -> Floats:
    """Smallest ring radius (km) with land on it; 0 on land; inf beyond the last ring."""
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    out = np.full(la.shape, np.inf)
    out[is_land(la, lo)] = 0.0
    for r in RINGS_KM:
        todo = np.isinf(out)
        if not todo.any():
            break
        east = r * 1000.0 * np.sin(_BEARINGS)
        north = r * 1000.0 * np.cos(_BEARINGS)
        plat, plon = offset_deg(la[todo][:, None], lo[todo][:, None], east[None, :], north[None, :])
        hit = is_land(plat, plon).any(axis=1)
        idx = np.flatnonzero(todo)[hit]
        out[idx] = r
    return out

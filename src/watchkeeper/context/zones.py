"""Zones: built-in areas of concern (approximate, sources cited) and user GeoJSON polygons.

Built-in zones are deliberately coarse; users with better boundaries load their own GeoJSON.

- ``dprk_west_waters`` / ``dprk_east_waters``: North Korean waters, approximated by polygons
  from the coast out to roughly the maritime boundaries claimed in the Yellow Sea (west of the
  Northern Limit Line, north of 37.6 N) and the Sea of Japan (north of 38.6 N, west of 132 E).
  Source: coastlines from Natural Earth; limits simplified by hand (not legal boundaries).
- ``sts_east_china_sea``: the ring 250-450 km south and south-east of Shanghai where Japan's
  Ministry of Defense reported STS transfers with North Korean tankers in 2018-19 (e.g. Yu
  Jong 2, Feb 2018; Saebyol ~390 km S, Yu Son ~410 km S, Mar 2019; UN Panel of Experts
  S/2019/171 and S/2019/691). "South" and "south-east" are points of the 8-point compass,
  each 45 degrees wide: bearings 112.5-202.5 from 31.23 N 121.47 E, great circles
  (:func:`sts_east_china_sea`; the simulator plants its STS cases in the same polygon).
- ``sts_nampo_chodo``: off Cho-do island at the Nampo approach (UN Panel of Experts
  S/2020/151 and later reports: transfers in North Korean waters off Nampo).
- ``sts_wonsan``: off Wonsan, east coast (reported 2024; UN Panel of Experts final report
  S/2024/215).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Polygon, shape

from watchkeeper.errors import FormatError
from watchkeeper.tracks.geo import EARTH_RADIUS_M

__all__ = [
    "SHANGHAI",
    "STS_ECS_BEARINGS",
    "STS_ECS_KM",
    "Zone",
    "builtin_zones",
    "load_geojson_zones",
    "sts_east_china_sea",
    "zone_of",
]


@dataclass(frozen=True)
class Zone:
    """A named polygon (lon/lat) with a risk weight 0-100 and the source of its shape."""

    name: str
    geometry: Any  # shapely Polygon or MultiPolygon
    risk: float = 50.0
    source: str = ""


def _destination(lat: float, lon: float, bearing_deg: float, dist_km: float) -> tuple[float, float]:
    """Point at ``dist_km`` along ``bearing_deg`` from (lat, lon) (great circle)."""
    d = dist_km * 1000.0 / EARTH_RADIUS_M
    b, p1, l1 = np.radians(bearing_deg), np.radians(lat), np.radians(lon)
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(b))
    l2 = l1 + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return float(np.degrees(p2)), float(np.degrees(l2))


#: Shanghai (WPI reference point) and the reported ring: 250-450 km, from SE (135 +- 22.5)
#: to S (180 +- 22.5), the two 8-point compass sectors the reports name.
SHANGHAI = (31.23, 121.47)
STS_ECS_KM = (250.0, 450.0)
STS_ECS_BEARINGS = (112.5, 202.5)


def _sector(lat: float, lon: float, r0: float, r1: float, b0: float, b1: float) -> Polygon:
    bearings = np.linspace(b0, b1, int(np.ceil(b1 - b0)) + 1)  # 1 degree: < 20 m of chord sag
    outer = [_destination(lat, lon, b, r1) for b in bearings]
    inner = [_destination(lat, lon, b, r0) for b in bearings[::-1]]
    return Polygon([(x, y) for y, x in outer + inner])


def _circle(lat: float, lon: float, r_km: float) -> Polygon:
    pts = [_destination(lat, lon, b, r_km) for b in np.linspace(0, 360, 36, endpoint=False)]
    return Polygon([(x, y) for y, x in pts])


def sts_east_china_sea() -> Polygon:
    """The East China Sea STS ring: 250-450 km S to SE of Shanghai (module docstring)."""
    return _sector(*SHANGHAI, *STS_ECS_KM, *STS_ECS_BEARINGS)


def builtin_zones() -> list[Zone]:
    """The built-in zones (see the module docstring for sources)."""
    west = Polygon(
        [
            (124.0, 39.8),
            (124.3, 40.1),
            (125.5, 39.6),
            (125.7, 38.6),
            (126.0, 37.75),
            (125.1, 37.65),
            (124.6, 37.75),
            (124.2, 38.0),
            (124.0, 39.0),
        ]
    )
    east = Polygon(
        [
            (128.35, 38.6),
            (127.3, 39.3),
            (127.5, 39.9),
            (128.8, 40.9),
            (129.7, 41.6),
            (130.7, 42.3),
            (131.2, 41.6),
            (130.2, 40.0),
            (129.0, 38.6),
        ]
    )
    return [
        Zone(
            "dprk_west_waters",
            west,
            80.0,
            "approximation, Natural Earth coast; not a legal boundary",
        ),
        Zone(
            "dprk_east_waters",
            east,
            80.0,
            "approximation, Natural Earth coast; not a legal boundary",
        ),
        Zone(
            "sts_east_china_sea",
            sts_east_china_sea(),
            60.0,
            "Japan MoD 2018-19; UN PoE S/2019/171",
        ),
        Zone("sts_nampo_chodo", _circle(38.55, 124.85, 30.0), 80.0, "UN PoE S/2020/151"),
        Zone("sts_wonsan", _circle(39.25, 127.65, 40.0), 80.0, "UN PoE S/2024/215"),
    ]


def load_geojson_zones(path: str | Path, *, risk: float = 50.0) -> list[Zone]:
    """Polygons of a GeoJSON file (RFC 7946) as zones, named by ``properties.name``."""
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: not a readable GeoJSON file: {exc}") from exc
    feats = doc.get("features", [doc] if doc.get("type") == "Feature" else [])
    zones = []
    for i, f in enumerate(feats):
        geom = shape(f.get("geometry") or {})
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        props = f.get("properties") or {}
        name = str(props.get("name") or f"{Path(path).stem}_{i + 1}")
        zones.append(Zone(name, geom, float(props.get("risk", risk)), f"user:{Path(path).name}"))
    return zones


def zone_of(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], zones: list[Zone]
) -> npt.NDArray[np.int64]:
    """Index of the first zone containing each point, -1 outside every zone."""
    out = np.full(len(lat), -1, dtype=np.int64)
    for i in range(len(zones) - 1, -1, -1):
        inside = shapely.contains_xy(zones[i].geometry, lon, lat)
        out[inside] = i
    return out

"""Built-in zones and user GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

from watchkeeper.context.zones import builtin_zones, load_geojson_zones, zone_of


def test_builtin_zones_cover_the_reported_places() -> None:
    zones = builtin_zones()
    names = [z.name for z in zones]
    # Nampo approach, 390 km south of Shanghai, off Wonsan, open Pacific
    idx = zone_of(
        np.array([38.55, 27.73, 39.25, 10.0]), np.array([124.85, 121.6, 127.65, 160.0]), zones
    )
    found = [names[i] if i >= 0 else None for i in idx]
    assert found[0] in ("sts_nampo_chodo", "dprk_west_waters")
    assert found[1] == "sts_east_china_sea"
    assert found[2] in ("sts_wonsan", "dprk_east_waters")
    assert found[3] is None


def test_user_geojson(tmp_path: Path) -> None:
    poly = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": poly, "properties": {"name": "box"}}],
    }
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps(doc))
    zones = load_geojson_zones(path)
    assert [z.name for z in zones] == ["box"]
    assert zone_of(np.array([0.5, 2.0]), np.array([0.5, 2.0]), zones).tolist() == [0, -1]


def test_sts_ring_spans_the_south_and_south_east_compass_sectors() -> None:
    from watchkeeper.context.zones import SHANGHAI, sts_east_china_sea
    from watchkeeper.simulate._geo import bearing_deg, distance_m

    ring = sts_east_china_sea()
    lat, lon = np.meshgrid(np.arange(26.0, 31.5, 0.05), np.arange(120.0, 127.0, 0.05))
    lat, lon = lat.ravel(), lon.ravel()
    b = bearing_deg(SHANGHAI[0], SHANGHAI[1], lat, lon)
    km = distance_m(SHANGHAI[0], SHANGHAI[1], lat, lon) / 1000.0
    inside = shapely.contains_xy(ring, lon, lat)
    clear = (np.abs(b - 112.5) > 0.5) & (np.abs(b - 202.5) > 0.5)
    clear &= (np.abs(km - 250) > 3) & (np.abs(km - 450) > 3)  # spherical vs great circle
    expected = (b > 112.5) & (b < 202.5) & (km > 250) & (km < 450)
    assert np.array_equal(inside[clear], expected[clear])
    assert expected.sum() > 1000


def test_simulator_plants_and_scores_in_the_detector_zone() -> None:
    from watchkeeper.simulate.scenario import ZONES

    zone = next(z for z in builtin_zones() if z.name == "sts_east_china_sea")
    assert ZONES["sts_hotspot_ecs"].equals(zone.geometry)

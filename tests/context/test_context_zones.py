"""Built-in zones and user GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

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

"""The report's map: markers that never hide each other, labels inside the map, a scale bar."""

from __future__ import annotations

import math
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.publish.report.svg import MapBox, map_svg

BOX = MapBox(west=122.0, south=28.0, east=124.0, north=29.5, width=900, height=700)


def _centres(svg: str) -> list[tuple[float, float]]:
    """The numbered markers' centres (r=6 circles)."""
    return [
        (float(x), float(y)) for x, y in re.findall(r'cx="([\d.-]+)" cy="([\d.-]+)" r="6"', svg)
    ]


NEAR = st.tuples(st.floats(122.5, 122.6), st.floats(28.5, 28.6))


@settings(deadline=None, max_examples=50)  # the first map loads the land mask
@given(st.lists(NEAR, min_size=1, max_size=25))
def test_markers_at_one_spot_are_all_visible(points: list[tuple[float, float]]) -> None:
    events = [{"type": "loitering", "mmsi": 1, "lon": lon, "lat": lat} for lon, lat in points]
    centres = _centres(map_svg(BOX, [], events, {}))
    assert len(centres) == len(events)
    for i, a in enumerate(centres):
        for b in centres[:i]:
            assert math.dist(a, b) >= 14.0 - 0.15  # never on top (SVG rounds to 0.1 px)


def test_a_scale_bar_of_a_round_length() -> None:
    svg = map_svg(BOX, [], [], {})
    (km,) = re.findall(r'class="tick" text-anchor="middle">([\d.]+) km<', svg)
    assert float(km) in (20.0, 50.0)  # 2 degrees of longitude at 28.7 N: about 195 km wide


def test_zones_and_places_inside_the_map_are_drawn() -> None:
    from shapely.geometry import box as rect

    places = [
        {"name": "NINGBO", "kind": "port", "lat": 29.0, "lon": 122.5},
        {"name": "anchorage", "kind": "anchorage", "lat": 29.1, "lon": 122.6},
        {"name": "FAR AWAY", "kind": "port", "lat": 10.0, "lon": 100.0},
    ]
    zones = [("sts_zone", rect(123.0, 28.2, 125.0, 29.0)), ("elsewhere", rect(0, 0, 1, 1))]
    svg = map_svg(BOX, [], [], {}, places=places, zones=zones)
    assert ">NINGBO</text>" in svg and "FAR AWAY" not in svg
    assert svg.count("<polygon") == 1 and ">sts_zone</text>" in svg  # clipped to the map

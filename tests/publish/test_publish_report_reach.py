"""The reachable ellipse of a dark vessel: every point of its ring is as far as the speed allows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.publish.report.reach import reach_ellipse
from watchkeeper.tracks.geo import M_PER_NM, haversine_m


@given(
    st.floats(120.0, 125.0),
    st.floats(25.0, 39.0),
    st.floats(-0.5, 0.5),
    st.floats(-0.5, 0.5),
    st.floats(6.0, 30.0),
)
def test_the_ring_is_the_reach_of_the_silence(
    lon: float, lat: float, dlon: float, dlat: float, hours: float
) -> None:
    a, b = (lon, lat), (lon + dlon, lat + dlat)
    ring = reach_ellipse(a, b, hours, 15.0)
    reach_km = 15.0 * M_PER_NM / 1000.0 * hours
    gap_km = float(haversine_m(a[1], a[0], b[1], b[0])) / 1000.0
    if gap_km >= reach_km:
        assert ring is None
        return
    assert ring is not None and len(ring) > 60
    for x, y in ring:
        total = (haversine_m(y, x, a[1], a[0]) + haversine_m(y, x, b[1], b[0])) / 1000.0
        assert abs(total - reach_km) <= 0.03 * reach_km  # a local plane: within 3 %


def test_no_ring_when_the_silence_is_too_short_to_sail_it() -> None:
    assert reach_ellipse((122.0, 30.0), (124.0, 30.0), 5.0, 15.0) is None  # 193 km, 139 km

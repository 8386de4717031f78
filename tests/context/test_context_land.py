"""Land mask and distance to shore: the bit-packed mask answers exactly as global-land-mask."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

from watchkeeper.context import land
from watchkeeper.context.land import LandMaskError, distance_to_shore_km, is_land
from watchkeeper.tracks.geo import haversine_m


def test_land_and_sea() -> None:
    assert is_land(np.array([48.85]), np.array([2.35]))[0]  # Paris
    assert not is_land(np.array([30.0]), np.array([-40.0]))[0]  # mid-Atlantic


def test_shore_distance_grows_offshore() -> None:
    d = distance_to_shore_km(np.array([38.7, 30.0]), np.array([125.0, -40.0]))
    assert 0 < d[0] <= 50
    assert np.isinf(d[1])


def _edge_points() -> tuple[np.ndarray, np.ndarray]:
    """Poles, the antimeridian, the last cell centres and points exactly on cell edges."""
    mask = land._mask()
    lat_edges = [90.0, -90.0, 89.99999, -89.99999, 0.0, mask.lat[-1], mask.lat[1], mask.lat[7]]
    lon_edges = [-180.0, 179.99999, 0.0, mask.lon[-1], mask.lon[1], mask.lon[8], mask.lon[9]]
    grid_lat, grid_lon = np.meshgrid(lat_edges, lon_edges)
    return grid_lat.ravel(), grid_lon.ravel()


@pytest.mark.slow
def test_packed_mask_equals_global_land_mask() -> None:
    from global_land_mask import globe  # loads the full ~1 GB boolean mask: reference only

    rng = np.random.default_rng(4)
    lat = rng.uniform(-90.0, 90.0, 200_000)
    lon = rng.uniform(-180.0, 180.0, 200_000)
    # Coastal cells, where one cell off would show: around Korea and the Strait of Malacca.
    lat = np.concatenate([lat, rng.uniform(33.0, 43.0, 50_000), rng.uniform(0.0, 6.0, 50_000)])
    lon = np.concatenate([lon, rng.uniform(124.0, 131.0, 50_000), rng.uniform(98.0, 104.0, 50_000)])
    edge_lat, edge_lon = _edge_points()
    lat, lon = np.concatenate([lat, edge_lat]), np.concatenate([lon, edge_lon])
    expected = globe.is_land(lat.copy(), lon.copy())
    got = is_land(lat, lon)
    assert got.dtype == bool
    assert np.array_equal(got, expected)
    assert 0.2 < got[:200_000].mean() < 0.4  # about 29 % of the globe is land


def test_packed_mask_is_an_eighth_of_the_boolean_one() -> None:
    mask = land._mask()
    n_cells = len(mask.lat) * len(mask.lon)
    assert mask.ocean_bits.nbytes * 8 == n_cells
    assert mask.ocean_bits.nbytes < 120e6


def test_nan_wrapped_and_scalar_inputs() -> None:
    got = is_land(np.array([np.nan, 48.85, 48.85]), np.array([2.35, np.nan, 2.35 + 360.0]))
    assert got.tolist() == [False, False, True]
    assert is_land(48.85, 2.35).shape == ()
    assert bool(is_land(95.0, 0.0)) == bool(is_land(90.0, 0.0))  # clipped to the pole


def test_truncated_or_wrong_mask_is_refused() -> None:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros((4, 16), dtype=bool))
    whole = buf.getvalue()
    assert land._pack_stream(io.BytesIO(whole)).shape == (4, 2)
    with pytest.raises(LandMaskError):
        land._pack_stream(io.BytesIO(whole[:-5]))
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros((4, 16), dtype=np.int32))
    with pytest.raises(LandMaskError):
        land._pack_stream(io.BytesIO(buf.getvalue()))


@pytest.mark.slow
def test_resident_memory_stays_far_below_the_boolean_mask() -> None:
    # Peak resident set of a fresh process (VmHWM: ru_maxrss would count the forked parent).
    code = (
        "import re\n"
        "from watchkeeper.context.land import is_land\n"
        "assert is_land(48.85, 2.35)\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak_mb = int(out.stdout.strip()) / 1024
    assert peak_mb < 400  # measured ~275 MB; the boolean mask alone is 933 MB


def test_shore_distance_is_the_nearest_coast_cell_not_a_ring() -> None:
    # 38.7 N 125.0 E (off Nampo): an islet 2.9 km away, which the 16-point rings missed (20 km);
    # Delaware Bay entrance; Dover Strait
    lat, lon = np.array([38.7, 38.8, 51.0]), np.array([125.0, -75.05, 1.5])
    d = distance_to_shore_km(lat, lon)
    g = np.arange(-0.3, 0.3, 0.002)
    for k in range(len(lat)):
        a = lat[k] + g[:, None] + 0 * g[None, :]
        b = lon[k] + (g[None, :] + 0 * g[:, None]) / np.cos(np.radians(lat[k]))
        on = is_land(a.ravel(), b.ravel())
        brute = haversine_m(lat[k], lon[k], a.ravel()[on], b.ravel()[on]).min() / 1000.0
        assert abs(d[k] - brute) < 1.0  # one 30" cell
    assert land.ring_distance_km(lat[:1], lon[:1])[0] == 20.0


def test_shore_distance_across_the_antimeridian_and_far_offshore() -> None:
    d = distance_to_shore_km(np.array([-16.5, 0.0]), np.array([179.99, -179.99]))
    assert d[0] < 160.0  # Fiji, found across 180 degrees
    assert np.isinf(d[1])  # nothing within SEARCH_KM

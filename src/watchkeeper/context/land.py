"""Land and distance to shore from ``global-land-mask`` (1 km GLOBE mask, offline).

The package's own ``globe`` module decompresses its 21,600 x 43,200 mask into a boolean array
at import: about 930 MB resident for the whole process. Here the same file is read as a stream,
a band of rows at a time, and kept bit-packed (one bit per cell, ~117 MB), built on the first
lookup only. Lookups index the same cells as ``globe.is_land`` (same clipping and truncation),
so the answers are identical.

Distance to shore is the great-circle distance to the nearest *coast cell* of the same mask (a
land cell next to sea: the coastline at 30 arc-second, ~0.9 km, resolution), less half a cell
(the coast lies on the cell's edge, not its centre). For each 1-degree tile holding positions,
the coast cells within ``SEARCH_KM`` of the tile are put in a nearest-neighbour tree (shapely
STRtree, in a local equirectangular frame), and the nearest one found is measured with the
haversine. Positions with no coast within ``SEARCH_KM`` are "far" (inf). Accurate to about a
cell (~1 km), enough to decide GFW's 20 nm and 50 nm rules (docs/reception.md: the old ring
probe, kept as :func:`ring_distance_km`, erred by up to its ring spacing, 57 km at 93-150 km).
"""

from __future__ import annotations

import functools
import importlib.util
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import shapely

from watchkeeper.errors import LandMaskError
from watchkeeper.tracks.geo import haversine_m, offset_deg

__all__ = [
    "RINGS_KM",
    "SEARCH_KM",
    "LandMaskError",
    "distance_to_shore_km",
    "is_land",
    "ring_distance_km",
]

Floats = npt.NDArray[np.float64]

#: Coast farther than this (km) from a position is not searched: "far" (inf). Above the 50 nm
#: (92.6 km) of GFW's intentional-disabling rule and the 150 km of the old last ring.
SEARCH_KM = 160.0
_TILE_DEG = 1.0  # positions are grouped by 1-degree tile; one coast tree per tile
_MAX_LON_MARGIN_DEG = 30.0  # beyond ~84 degrees of latitude the search is cut to this
_KM_PER_DEG = 111.195  # great-circle km per degree on the IUGG mean sphere

#: Radii probed by :func:`ring_distance_km` (km); beyond the last one is "far".
RINGS_KM = (1.0, 2.0, 5.0, 10.0, 20.0, 37.0, 50.0, 93.0, 150.0)
_BEARINGS = np.radians(np.arange(0, 360, 22.5))

_MASK_FILE = "globe_combined_mask_compressed.npz"
_ROWS_PER_BAND = 512  # 512 x 43,200 bytes = 22 MB decompressed at a time


@dataclass(frozen=True)
class _PackedMask:
    """The GLOBE ocean mask, one bit per cell (``np.packbits`` along longitude)."""

    ocean_bits: npt.NDArray[np.uint8]  # (n_lat, ceil(n_lon / 8)), 1 = ocean
    lat: Floats  # cell latitudes, north to south
    lon: Floats  # cell longitudes, west to east

    def row(self, lat: Floats) -> npt.NDArray[np.intp]:
        """Row of each latitude, computed as ``globe.lat_to_index`` does."""
        la = np.clip(lat, self.lat.min(), self.lat.max())
        step = self.lat[1] - self.lat[0]
        return np.asarray((la - self.lat[0]) / step).astype(np.intp)

    def col(self, lon: Floats) -> npt.NDArray[np.intp]:
        """Column of each longitude, computed as ``globe.lon_to_index`` does."""
        lo = np.clip(lon, self.lon.min(), self.lon.max())
        step = self.lon[1] - self.lon[0]
        return np.asarray((lo - self.lon[0]) / step).astype(np.intp)

    def ocean(self, lat: Floats, lon: Floats) -> npt.NDArray[np.bool_]:
        """Ocean flag of the cell under each (finite) point."""
        r, c = self.row(lat), self.col(lon)
        byte = self.ocean_bits[r, c >> 3]
        return np.asarray((byte >> (7 - (c & 7))) & 1).astype(bool)


def _mask_path() -> Path:
    """The data file inside the installed package (found without importing ``globe``)."""
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or not spec.submodule_search_locations:
        raise LandMaskError("the global-land-mask package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / _MASK_FILE
    if not path.is_file():
        raise LandMaskError(f"land mask data not found: {path}")
    return path


def _read_header(stream: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype[np.generic]]:
    """Shape, Fortran order and dtype from the header of an ``.npy`` stream."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)
    return np.lib.format.read_array_header_2_0(stream)


def _pack_stream(stream: IO[bytes]) -> npt.NDArray[np.uint8]:
    """Bit-pack a C-ordered 2-D boolean ``.npy`` stream, one band of rows at a time."""
    shape, fortran, dtype = _read_header(stream)
    if len(shape) != 2 or fortran or dtype != np.dtype(bool):
        raise LandMaskError(f"unexpected land mask layout: {shape}, {dtype}, fortran={fortran}")
    n_rows, n_cols = shape
    packed = np.empty((n_rows, (n_cols + 7) // 8), dtype=np.uint8)
    for start in range(0, n_rows, _ROWS_PER_BAND):
        rows = min(_ROWS_PER_BAND, n_rows - start)
        raw = stream.read(rows * n_cols)
        if len(raw) != rows * n_cols:
            raise LandMaskError("land mask data is truncated")
        band = np.frombuffer(raw, dtype=bool).reshape(rows, n_cols)
        packed[start : start + rows] = np.packbits(band, axis=1)
    return packed


@functools.cache
def _mask() -> _PackedMask:
    """The packed mask, built once per process on first use (a few seconds)."""
    with zipfile.ZipFile(_mask_path()) as archive:
        with archive.open("mask.npy") as stream:
            bits = _pack_stream(stream)
        with archive.open("lat.npy") as stream:
            lat = np.asarray(np.lib.format.read_array(stream), dtype=np.float64)
        with archive.open("lon.npy") as stream:
            lon = np.asarray(np.lib.format.read_array(stream), dtype=np.float64)
    return _PackedMask(ocean_bits=bits, lat=lat, lon=lon)


def is_land(lat: Floats | float, lon: Floats | float) -> npt.NDArray[np.bool_]:
    """Whether each point is on land (lakes count as land in the mask).

    Latitudes are clipped to ±90, longitudes wrapped to [-180, 180); NaN is not land.
    """
    la, lo = np.broadcast_arrays(
        np.clip(np.asarray(lat, dtype=np.float64), -90.0, 90.0),
        (np.asarray(lon, dtype=np.float64) + 180.0) % 360.0 - 180.0,
    )
    out = np.zeros(la.shape, dtype=bool)
    ok = np.isfinite(la) & np.isfinite(lo)
    if ok.any():
        out[ok] = ~_mask().ocean(la[ok], lo[ok])
    return out


@dataclass(frozen=True)
class _Coast:
    """The coast cells near one tile: centres (degrees) and their tree in the tile's frame."""

    lat: Floats
    lon: Floats  # unwrapped: may run past +-180 next to the antimeridian
    scale: float  # cos(latitude of the tile centre): x = lon * scale
    tree: shapely.STRtree | None


def _crop(r0: int, r1: int, c0: int, c1: int) -> npt.NDArray[np.bool_]:
    """Ocean flags of mask rows r0..r1-1 and columns c0..c1-1 (columns wrap round the globe)."""
    m = _mask()
    cols = np.arange(c0, c1) % len(m.lon)
    byte = m.ocean_bits[r0:r1][:, cols >> 3]
    return np.asarray((byte >> (7 - (cols & 7))[None, :]) & 1).astype(bool)


@functools.cache
def _land_blocks() -> npt.NDArray[np.bool_]:
    """(180, 360): whether each 1-degree block (row 0 = 89-90 N, column 0 = 180-179 W) holds
    any land cell: open-ocean tiles then skip the crop (a worldwide feed is mostly ocean)."""
    bits = _mask().ocean_bits
    rows = bits.shape[0] // 180 * 180
    per_deg = bits.shape[1] // 360  # 15 bytes = 120 cells
    land = bits[:rows, : per_deg * 360] != 0xFF
    return np.asarray(land.reshape(180, rows // 180, 360, per_deg).any(axis=(1, 3)))


def _any_land(lat0: float, lat1: float, lon0: float, lon1: float) -> bool:
    """Whether any 1-degree block meeting [lat0, lat1] x [lon0, lon1] holds land."""
    blocks = _land_blocks()
    r0, r1 = max(int(np.floor(90.0 - lat1)), 0), min(int(np.floor(90.0 - lat0)), 179)
    cols = np.arange(int(np.floor(lon0 + 180.0)), int(np.floor(lon1 + 180.0)) + 1) % 360
    return bool(blocks[r0 : r1 + 1][:, cols].any())


@functools.lru_cache(maxsize=512)
def _coast(ty: int, tx: int) -> _Coast:
    """Coast cells within ``SEARCH_KM`` of tile (ty, tx) (its south-west corner in degrees)."""
    m = _mask()
    step = 1.0 / 120.0  # 30 arc-seconds
    lat_margin = SEARCH_KM / _KM_PER_DEG + step
    far_lat = min(max(abs(ty - lat_margin), abs(ty + _TILE_DEG + lat_margin)), 89.9)
    lon_margin = min(SEARCH_KM / (_KM_PER_DEG * np.cos(np.radians(far_lat))), _MAX_LON_MARGIN_DEG)
    scale = float(np.cos(np.radians(ty + _TILE_DEG / 2)))
    if not _any_land(
        ty - lat_margin, ty + _TILE_DEG + lat_margin, tx - lon_margin, tx + 1 + lon_margin
    ):
        return _Coast(np.zeros(0), np.zeros(0), scale, None)
    r0 = max(int((90.0 - (ty + _TILE_DEG + lat_margin)) / step), 0)
    r1 = min(int((90.0 - (ty - lat_margin)) / step) + 1, len(m.lat))
    c0 = int(np.floor((tx - lon_margin + 180.0) / step))
    c1 = int(np.floor((tx + _TILE_DEG + lon_margin + 180.0) / step)) + 1
    ocean = _crop(r0, r1, c0, c1)
    sea_next = np.zeros_like(ocean)
    sea_next[1:] |= ocean[:-1]
    sea_next[:-1] |= ocean[1:]
    sea_next[:, 1:] |= ocean[:, :-1]
    sea_next[:, :-1] |= ocean[:, 1:]
    rows, cols = np.nonzero(~ocean & sea_next)
    lat = np.asarray(90.0 - (r0 + rows + 0.5) * step, dtype=np.float64)
    lon = np.asarray(-180.0 + (c0 + cols + 0.5) * step, dtype=np.float64)
    tree = shapely.STRtree(shapely.points(lon * scale, lat)) if len(lat) else None
    return _Coast(lat, lon, scale, tree)


def distance_to_shore_km(lat: Floats | float, lon: Floats | float) -> Floats:
    """Great-circle distance (km) to the nearest coast; 0 on land; inf beyond ``SEARCH_KM``
    (and for NaN positions)."""
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lo = (np.atleast_1d(np.asarray(lon, dtype=np.float64)) + 180.0) % 360.0 - 180.0
    out = np.full(la.shape, np.inf)
    land = is_land(la, lo)
    out[land] = 0.0
    sea = np.flatnonzero(~land & np.isfinite(la) & np.isfinite(lo))
    if not len(sea):
        return out
    ty = np.floor(np.clip(la[sea], -90.0, 89.999) / _TILE_DEG).astype(np.int64)
    tx = np.floor(lo[sea] / _TILE_DEG).astype(np.int64)
    tile = ty * 1000 + tx
    order = np.argsort(tile, kind="stable")
    bounds = np.flatnonzero(np.diff(tile[order])) + 1
    for part in np.split(order, bounds):
        coast = _coast(int(ty[part[0]]), int(tx[part[0]]))
        if coast.tree is None:
            continue
        idx = sea[part]
        q = shapely.points(lo[idx] * coast.scale, la[idx])
        src, hit = coast.tree.query_nearest(q, all_matches=False)
        d = haversine_m(la[idx[src]], lo[idx[src]], coast.lat[hit], coast.lon[hit]) / 1000.0
        d = np.maximum(d - _KM_PER_DEG / 240.0, 0.0)  # the coast is half a cell from the centre
        out[idx[src]] = np.where(d <= SEARCH_KM, d, np.inf)
    return out


def ring_distance_km(lat: Floats | float, lon: Floats | float) -> Floats:
    """The former estimate, kept to measure against: the smallest of :data:`RINGS_KM` with
    land on a ring of 16 points; 0 on land; inf beyond the last ring."""
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

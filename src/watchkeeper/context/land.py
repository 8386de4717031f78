"""Land and distance to shore from ``global-land-mask`` (1 km GLOBE mask, offline).

The package's own ``globe`` module decompresses its 21,600 x 43,200 mask into a boolean array
at import: about 930 MB resident for the whole process. Here the same file is read as a stream,
a band of rows at a time, and kept bit-packed (one bit per cell, ~117 MB), built on the first
lookup only. Lookups index the same cells as ``globe.is_land`` (same clipping and truncation),
so the answers are identical.

Distance to shore is a lower bound found by probing rings of points around each position:
cheap, vectorised and accurate enough for thresholds such as GFW's 20 nm and 50 nm.
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

from watchkeeper.errors import LandMaskError
from watchkeeper.tracks.geo import offset_deg

__all__ = ["RINGS_KM", "LandMaskError", "distance_to_shore_km", "is_land"]

Floats = npt.NDArray[np.float64]

#: Radii probed by :func:`distance_to_shore_km` (km); beyond the last one is "far".
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

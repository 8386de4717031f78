"""Offline land layer: the ``global-land-mask`` raster of a bounding box as a PNG data URI.

The 1 km GLOBE mask ships inside the ``global-land-mask`` package, so the map needs no tiles
and no network. Each pixel of the image is one mask lookup at its centre; the PNG is written
with ``zlib`` (palette image, one byte per pixel) so that no imaging library is needed.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
import numpy.typing as npt

from watchkeeper.context.land import is_land

__all__ = ["LAND", "SEA", "land_mask", "land_png_uri", "png_bytes"]

SEA = (0xDC, 0xEB, 0xF5)  # light blue
LAND = (0xE8, 0xE1, 0xCF)  # sand


def land_mask(
    west: float, south: float, east: float, north: float, width: int, height: int
) -> npt.NDArray[np.bool_]:
    """Land (True) per pixel of a ``height`` x ``width`` image, row 0 at the north."""
    lons = west + (np.arange(width) + 0.5) * (east - west) / width
    lats = north - (np.arange(height) + 0.5) * (north - south) / height
    grid_lon, grid_lat = np.meshgrid(lons, lats)
    return is_land(grid_lat.ravel(), grid_lon.ravel()).reshape(height, width)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bytes(mask: npt.NDArray[np.bool_]) -> bytes:
    """A two-colour palette PNG (sea, land) of ``mask``."""
    height, width = mask.shape
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8-bit palette
    palette = bytes([*SEA, *LAND])
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # filter byte 0 per row
    rows[:, 1:] = mask.astype(np.uint8)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"PLTE", palette),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)),
            _chunk(b"IEND", b""),
        ]
    )


def land_png_uri(
    west: float, south: float, east: float, north: float, width: int, height: int
) -> str:
    """``data:image/png;base64,...`` of the land mask over the box."""
    png = png_bytes(land_mask(west, south, east, north, width, height))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")

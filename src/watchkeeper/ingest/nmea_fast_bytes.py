"""Byte-level helpers of the vectorised NMEA framer: substrings, numbers, searches.

Lines of a block are one contiguous byte buffer with row offsets (Arrow's layout); these
functions read fields of every row at once by position, without a Python object per row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_HEX = np.zeros(256, dtype=np.int64)
for _c in b"0123456789":
    _HEX[_c] = _c - 48
for _c in b"abcdef":
    _HEX[_c] = _c - 87
    _HEX[_c - 32] = _c - 87


def buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Bytes and row offsets of a large_string array: exactly its rows' bytes (counts of a
    byte in them are counts over the rows)."""
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64, count=len(arr) + 1, offset=arr.offset * 8)
    if data_buf is None:
        return np.zeros(0, np.uint8), offsets - offsets[0]
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data, offsets - offsets[0]


def bytes_of(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The bytes of a string or large_string array, and its row offsets into them."""
    _, off_buf, data_buf = arr.buffers()
    wide = arr.type == pa.large_string()
    offsets = np.frombuffer(
        off_buf,
        dtype=np.int64 if wide else np.int32,
        count=len(arr) + 1,
        offset=arr.offset * (8 if wide else 4),
    ).astype(np.int64)
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return data[offsets[0] : offsets[-1]], offsets - offsets[0]


_VIEW_MAX = 2**31 - 1  # string views address their data with int32 offsets
_INLINE = 12  # string views hold strings of up to 12 bytes inline (Arrow columnar format)


def _padded(data: np.ndarray) -> np.ndarray:
    """``data`` followed by zero bytes, so that a window of ``_INLINE`` never runs out."""
    out = np.zeros(len(data) + _INLINE, dtype=np.uint8)
    out[: len(data)] = data
    return out


def windows(data: np.ndarray, start: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` bytes from each start (n x width; zeros past the end of ``data``).

    Within plain lines no window runs out (each field is followed by the checksum), so the
    padded copy is rarely made."""
    if not len(start):
        return np.zeros((0, width), dtype=np.uint8)
    if int(start.max()) + width > len(data):
        data = _padded(data)
    windows: np.ndarray = np.lib.stride_tricks.sliding_window_view(data, width)[start]
    return windows


def substrings(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> pa.Array:
    """Arrow strings of the byte ranges [start, end) of ``data``.

    Built as string views (16 bytes per row, no per-byte index) that Arrow then copies into
    one contiguous string column: a few times faster than gathering every byte in numpy.
    """
    n = len(start)
    if len(data) > _VIEW_MAX:
        return _substrings_copy(data, start, end)
    lengths = (end - start).astype(np.int32)
    views = np.zeros((n, 4), dtype=np.int32)
    views[:, 0] = lengths
    long = lengths > _INLINE  # 4-byte prefix, buffer 0, offset; else the bytes inline
    if long.all():
        prefix = windows(data, start, 4)
        views[:, 1] = np.ascontiguousarray(prefix).view(np.int32)[:, 0]
        views[:, 3] = start  # buffer 0 (the zeros above)
        return _cast_views(views, data)
    elif n:
        width = min(int(lengths.max()), _INLINE)  # sources: often one length, no mask
        window = windows(data, start, width)
        if int(lengths.min()) < width:
            window = np.where(np.arange(width)[None, :] < lengths[:, None], window, 0)
        views.view(np.uint8).reshape(n, 16)[:, 4 : 4 + width] = window
    views[long, 2] = 0
    views[long, 3] = start[long]
    return _cast_views(views, data)


def _cast_views(views: np.ndarray, data: np.ndarray) -> pa.Array:
    """The string views ``views`` (n x 4 int32) over ``data``, copied into a string array."""
    buffers = [None, pa.py_buffer(views), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.string_view(), len(views), buffers).cast(pa.string())


def _substrings_copy(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> pa.Array:
    """:func:`_substrings` for data beyond int32 offsets: every byte gathered by index."""
    lengths = end - start
    offsets = np.zeros(len(start) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    idx = np.repeat(start - offsets[:-1], lengths) + np.arange(int(offsets[-1]))
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data[idx].tobytes())]
    return pa.Array.from_buffers(pa.large_string(), len(start), buffers).cast(pa.string())


def digits(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The decimal numbers written in [start, end) (1 to 13 digits each)."""
    if not len(start):
        return np.zeros(0, np.int64)
    lengths = end - start
    width = int(lengths.max())
    digits = np.ascontiguousarray(windows(data, start, width).T) - 48  # digit k: row k
    if int(lengths.min()) < width:  # numbers of several lengths: zeros past each end
        digits[np.arange(width)[:, None] >= lengths[None, :]] = 0
    # read left-aligned as ``width`` digits (Horner), then drop the zeros past each end
    value: np.ndarray = digits[0].astype(np.int64)
    for k in range(1, width):
        value *= 10
        value += digits[k]
    if int(lengths.min()) < width:
        powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        value //= powers[lengths - 1]
    return value


def first_at(
    data: np.ndarray, byte: int, start: np.ndarray, where: np.ndarray | None = None
) -> np.ndarray:
    """Position of the first ``byte`` at or after each start (len(data) when none)."""
    at = np.flatnonzero(data == byte) if where is None else where
    at = np.append(at, len(data))
    result: np.ndarray = at[np.minimum(np.searchsorted(at, start), len(at) - 1)]
    return result


def hex_at(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The two hex digits at ``at`` as a number."""
    value: np.ndarray = (_HEX[data[at]] << 4) | _HEX[data[at + 1]]
    return value

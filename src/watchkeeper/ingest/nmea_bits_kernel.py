"""Compiled 6-bit payload armour (numba): :func:`~watchkeeper.ingest.nmea_bits.payloads` in
one pass instead of a handful of numpy passes over a chunk's payload bytes (measured on the
benchmark feed: ~2x faster). It armours every byte, marks rows with bytes outside the
alphabet and reads each row's message type; a differential test holds it to the numpy
function, which stays as its reference. Its output lives in Arrow's memory pool (see
:func:`~watchkeeper.ingest.nmea_fast_kernel.empty`).

Reading fields straight from the armoured bytes in compiled code was tried and was no
faster than the numpy matrix of :mod:`~watchkeeper.ingest.nmea_bits` (~25 ms per million
lines for the class A positions either way), so fields are still read there.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from watchkeeper.ingest import nmea_bits as nb
from watchkeeper.ingest.nmea_fast_kernel import empty

__all__ = ["payloads"]

_ARMOUR = nb.ARMOUR
_FIRST_TYPE = nb.FIRST_TYPE
_PAD = nb.PAD
_INVALID = nb.INVALID


@njit(cache=True)
def _armour(
    raw: np.ndarray,
    starts: np.ndarray,
    chars: np.ndarray,
    six: np.ndarray,
    clean: np.ndarray,
    first: np.ndarray,
) -> None:
    """Armoured values of ``raw`` then ``PAD`` zeros into ``six``; per row whether every
    byte is in the alphabet, and its type from the first byte (-1 when empty)."""
    n = len(raw)
    for i in range(n):
        six[i] = _ARMOUR[raw[i]]
    for i in range(n, n + _PAD):
        six[i] = 0
    for r in range(len(starts)):
        s, c = starts[r], chars[r]
        ok = True
        for j in range(s, s + c):
            if six[j] == _INVALID:
                ok = False
                break
        clean[r] = ok
        first[r] = _FIRST_TYPE[raw[s]] if c > 0 else -1


def payloads(
    payload: pa.ChunkedArray | pa.Array, fill_bits: pa.ChunkedArray | pa.Array
) -> nb.Payloads:
    """:func:`~watchkeeper.ingest.nmea_bits.payloads`, compiled."""
    arr = payload.combine_chunks() if isinstance(payload, pa.ChunkedArray) else payload
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    if arr.type not in (pa.string(), pa.large_string()):
        arr = arr.cast(pa.large_string())
    n = len(arr)
    _, off_buf, data_buf = arr.buffers()
    itemsize = 4 if arr.type == pa.string() else 8
    offsets = np.frombuffer(
        off_buf, dtype=np.int32 if itemsize == 4 else np.int64, count=n + 1,
        offset=arr.offset * itemsize,
    ).astype(np.int64)  # fmt: skip
    lo, hi = int(offsets[0]), int(offsets[-1])
    raw = np.frombuffer(data_buf, dtype=np.uint8)[lo:hi] if hi > lo else np.zeros(0, np.uint8)
    starts = offsets[:-1] - lo
    chars = np.diff(offsets)
    fill = np.asarray(pc.fill_null(fill_bits, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    six = empty(len(raw) + _PAD, np.uint8)
    clean, first = empty(n, np.bool_), empty(n, np.int64)
    _armour(_readonly(raw), starts, chars, six, clean, first)
    return nb.Payloads(six, starts, chars, chars * 6 - fill, clean, first)


def _readonly(data: np.ndarray) -> np.ndarray:
    """One compiled signature, whatever owns the bytes."""
    view = data.view()
    view.flags.writeable = False
    return view

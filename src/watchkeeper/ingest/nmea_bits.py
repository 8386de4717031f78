"""Columnar 6-bit AIS payload access: a whole chunk of payloads as numpy, fields by shifts.

The payload column of a frames table is viewed as one byte buffer with row offsets; the rows
of one message type become a matrix of 6-bit values (ITU-R M.1371-5 §8.2.4 armour: char - 48,
minus 8 above 40), and a field is a handful of vectorised shifts and masks over that matrix.
The field layouts are ITU-R M.1371-5's, as declared field by field in ``pyais.messages``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "CLASS_A",
    "CLASS_B",
    "LONG_RANGE",
    "TYPE5",
    "TYPE19_STATIC",
    "TYPE24",
    "Bits",
    "Field",
    "Payloads",
    "payloads",
    "sixbit_matrix",
]

INVALID = 255


def _armour_table() -> np.ndarray:
    """ASCII byte -> 6-bit value; 255 outside the alphabet ('0'..'W', '`'..'w')."""
    table = np.full(256, INVALID, dtype=np.uint8)
    for c in (*range(48, 88), *range(96, 120)):
        v = c - 48
        table[c] = v - 8 if v > 40 else v
    return table


ARMOUR = _armour_table()

#: First byte -> message type as pyais-style ``ord(c) - 48 (- 8 above 40)``, with no alphabet
#: check: an invalid first character gives an unknown type, as in the reference decoder.
FIRST_TYPE = np.array([(c - 56 if c - 48 > 40 else c - 48) for c in range(256)], dtype=np.int64)

#: 6-bit value -> text character (0..31 are '@'..'_', 32..63 are ' '..'?').
SIXBIT_ASCII = np.array([v + 64 if v < 32 else v for v in range(64)], dtype=np.uint8)


@dataclass(frozen=True)
class Field:
    """One bit field of a message layout: start bit, width in bits, two's complement or not."""

    start: int
    width: int
    signed: bool = False

    @property
    def end(self) -> int:
        """First bit after the field."""
        return self.start + self.width


CLASS_A = {  # types 1, 2, 3
    "mmsi": Field(8, 30),
    "status": Field(38, 4),
    "speed": Field(50, 10),
    "lon": Field(61, 28, signed=True),
    "lat": Field(89, 27, signed=True),
    "course": Field(116, 12),
    "heading": Field(128, 9),
}
CLASS_B = {  # types 18 and 19
    "mmsi": Field(8, 30),
    "speed": Field(46, 10),
    "lon": Field(57, 28, signed=True),
    "lat": Field(85, 27, signed=True),
    "course": Field(112, 12),
    "heading": Field(124, 9),
}
TYPE19_STATIC = {
    "shipname": Field(143, 120),
    "ship_type": Field(263, 8),
    "to_bow": Field(271, 9),
    "to_stern": Field(280, 9),
    "to_port": Field(289, 6),
    "to_starboard": Field(295, 6),
}
LONG_RANGE = {  # type 27
    "mmsi": Field(8, 30),
    "status": Field(40, 4),
    "lon": Field(44, 18, signed=True),
    "lat": Field(62, 17, signed=True),
    "speed": Field(79, 6),
    "course": Field(85, 9),
}
TYPE5 = {
    "mmsi": Field(8, 30),
    "imo": Field(40, 30),
    "callsign": Field(70, 42),
    "shipname": Field(112, 120),
    "ship_type": Field(232, 8),
    "to_bow": Field(240, 9),
    "to_stern": Field(249, 9),
    "to_port": Field(258, 6),
    "to_starboard": Field(264, 6),
    "month": Field(274, 4),
    "day": Field(278, 5),
    "hour": Field(283, 5),
    "minute": Field(288, 6),
    "draught": Field(294, 8),
    "destination": Field(302, 120),
}
TYPE24 = {  # part A: shipname; part B: the rest
    "mmsi": Field(8, 30),
    "partno": Field(38, 2),
    "shipname": Field(40, 120),
    "ship_type": Field(40, 8),
    "callsign": Field(90, 42),
    "to_bow": Field(132, 9),
    "to_stern": Field(141, 9),
    "to_port": Field(150, 6),
    "to_starboard": Field(156, 6),
}


#: Zero padding after the 6-bit values, so that a window of this many chars never runs out.
PAD = 80


@dataclass(frozen=True)
class Payloads:
    """The payload column as numpy: 6-bit values, row starts, lengths in chars and bits."""

    six: np.ndarray  # uint8, 6-bit value of every byte of every payload (255: not armour), padded
    starts: np.ndarray  # int64, row -> offset of its first char in ``six``
    chars: np.ndarray  # int64, row -> payload length in bytes
    bits: np.ndarray  # int64, row -> 6 x chars - fill bits
    clean: np.ndarray  # bool, row -> every byte is in the armour alphabet
    first_type: np.ndarray  # int64, row -> type from the first char (-1 when empty)


def _armour(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:data:`ARMOUR` of every byte, then ``PAD`` zeros; and where the bytes outside the
    alphabet are (usually none). Byte arithmetic in place: a table lookup makes numpy widen
    every uint8 index to 8 bytes first, which costs more than these few passes."""
    six = np.zeros(len(raw) + PAD, dtype=np.uint8)
    v = six[: len(raw)]
    np.subtract(raw, 48, out=v)  # wraps below '0'
    bad = v > 39  # outside '0'..'W' ...
    bad &= (v - 48) > 23  # ... and outside '`'..'w'
    high = (v > 40).view(np.uint8)
    high <<= 3
    v -= high  # 8 less above 40
    where = np.flatnonzero(bad)
    if len(where):
        v[where] = INVALID
    return six, where


def payloads(
    payload: pa.ChunkedArray | pa.Array, fill_bits: pa.ChunkedArray | pa.Array
) -> Payloads:
    """View an Arrow string column without a Python object per row."""
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
    six, bad_bytes = _armour(raw)
    starts = offsets[:-1] - lo
    chars = np.diff(offsets)
    fill = np.asarray(pc.fill_null(fill_bits, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    clean = np.ones(n, dtype=bool)
    if len(bad_bytes):
        clean[np.searchsorted(starts, bad_bytes, side="right") - 1] = False
    first_byte = raw[np.minimum(starts, len(raw) - 1)] if len(raw) else np.zeros(n, np.uint8)
    first = np.where(chars > 0, FIRST_TYPE[first_byte], -1)
    return Payloads(six, starts, chars, chars * 6 - fill, clean, first)


def sixbit_matrix(p: Payloads, rows: np.ndarray, ncols: int) -> np.ndarray:
    """6-bit values of the first ``ncols`` (<= PAD) chars of ``rows``; 0 past a payload's end."""
    windows = np.lib.stride_tricks.sliding_window_view(p.six, ncols)
    mat: np.ndarray = windows[p.starts[rows]]
    short = p.chars[rows] < ncols
    if short.any():
        cols = np.arange(ncols, dtype=np.int64)
        mat[cols[None, :] >= p.chars[rows, None]] = 0
    return mat


class Bits:
    """Fields of the rows of a 6-bit matrix (rows long enough for every field read)."""

    def __init__(self, mat: np.ndarray) -> None:
        self.mat = mat
        self._cols = np.ascontiguousarray(mat.T)  # a field reads whole columns: contiguous

    def __len__(self) -> int:
        return len(self.mat)

    def get(self, f: Field) -> np.ndarray:
        """Field value as int64 (two's complement when ``f.signed``)."""
        c0, c1 = f.start // 6, (f.end - 1) // 6
        acc: np.ndarray = self._cols[c0].astype(np.int64)
        for c in range(c0 + 1, c1 + 1):  # in place: no temporary per step
            acc <<= 6
            acc |= self._cols[c]
        acc >>= 6 * (c1 + 1) - f.end
        acc &= (1 << f.width) - 1
        if f.signed:
            sign = 1 << (f.width - 1)
            acc ^= sign
            acc -= sign
        return acc

    def text(self, f: Field) -> pa.Array:
        """A 6-bit text field as Arrow strings, '@' padding and spaces kept (validation trims)."""
        n = f.width // 6
        codes = np.empty((len(self.mat), n), dtype=np.uint8)
        for k in range(n):
            codes[:, k] = SIXBIT_ASCII[self.get(Field(f.start + 6 * k, 6))]
        offsets = np.arange(0, codes.size + 1, n, dtype=np.int32)
        buffers = [None, pa.py_buffer(offsets), pa.py_buffer(codes.tobytes())]
        return pa.Array.from_buffers(pa.string(), len(codes), buffers)

"""The regular lines of a block read in one compiled pass (numba): what ``nmea_fast_lines``
finds with a regular expression and a dozen numpy passes, found byte by byte.

:func:`scan` walks each line once: it trims it, checks it has a regular shape (the
``_REGULAR`` expression of :mod:`~watchkeeper.ingest.nmea_fast_lines`, parsed by hand:
tag block of ``s:``/``c:``/``g:``, one ``!xxVDM`` sentence, a receiver trailer), verifies
its checksums (the Norwegian tag-block variant too), the part number and the ``c:`` time,
and writes the positions and values of its fields into one row of an integer matrix.
:func:`gather` copies byte ranges into an Arrow string column. Lines it does not accept
are left to the one-by-one reader, exactly as the numpy passes leave them; a differential
test holds the two to the same fragments.

The tag block's fields are kept in a scratch matrix without per-line array views (~15 %
of the pass, measured on the benchmark feed). Inlining the helpers and the line reader at
numba's level (``inline="always"``) saved another ~10 % of the pass (~20 ms per million
lines) but made the first compilation ~60 % longer (~10 s instead of ~6 s of CPU), so it
is left to LLVM. Compiled on first use and cached on disk
(``cache=True``, in ``__pycache__`` or ``NUMBA_CACHE_DIR``): the first call in a fresh
environment compiles (~5 s of CPU, see docs/benchmarks.md), later processes import numba
and load the machine code (~0.3 s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, cast

import numpy as np
import pyarrow as pa
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from watchkeeper.ingest.nmea_fast_bytes import bytes_of

__all__ = ["COLUMNS", "empty", "gather", "join", "scan"]

#: The fields :func:`scan` gives for each regular line (positions are in the block's bytes;
#: a range is [start, end); flags are 0 or 1).
COLUMNS: Final = (
    "start",  # the line without surrounding whitespace (the fragment's raw text)
    "end",
    "ts",
    "has_ts",
    "total",
    "part",
    "fill",
    "has_g",
    "gpart",
    "gtotal",
    "gid_start",
    "gid_end",
    "has_src",
    "src_start",
    "src_end",
    "talker",
    "tail_start",  # "seq,channel"
    "tail_end",
    "pay_start",
    "pay_end",
)
_N = len(COLUMNS)

# The same plausibility bounds as nmea_fast_lines / the reference framer (nmea_framing):
_MIN_MS = 631_152_000_000  # 1990-01-01 in ms: AIS dates from 1998
_MAX_MS = 4_102_444_800_000  # 2100-01-01 in ms: beyond is corrupt
_MS_THRESHOLD = 100_000_000_000  # a time above 1e11 is in ms (1e11 s is year 5138)


@njit(cache=True)
def _hexval(b: int) -> int:
    """The value of one hex digit, -1 for any other byte."""
    if 48 <= b <= 57:
        return b - 48
    if 65 <= b <= 70:
        return b - 55
    if 97 <= b <= 102:
        return b - 87
    return -1


@njit(cache=True)
def _alnum(b: int) -> bool:
    return (48 <= b <= 57) or (65 <= b <= 90) or (97 <= b <= 122)


@njit(cache=True)
def _src_byte(b: int) -> bool:
    """``[A-Za-z0-9_./+\\-]``: a byte of an ``s:`` source."""
    return _alnum(b) or b == 95 or b == 46 or b == 47 or b == 43 or b == 45  # noqa: PLR1714 (numba has no set literals)


@njit(cache=True)
def _gid_byte(b: int) -> bool:
    """``[A-Za-z0-9_./+]``: a byte of a ``g:`` group id."""
    return _alnum(b) or b == 95 or b == 46 or b == 47 or b == 43  # noqa: PLR1714 (numba has no set literals)


@njit(cache=True)
def _payload_byte(b: int) -> bool:
    """``[0-9:;<=>?@A-W`a-w]``: an armoured six-bit character."""
    return (48 <= b <= 87) or (96 <= b <= 119)


@njit(cache=True)
def _space(b: int) -> bool:
    """ASCII whitespace as Arrow's ``ascii_trim_whitespace`` sees it."""
    return b == 32 or 9 <= b <= 13


@njit(cache=True)
def _digits(data: np.ndarray, p: int, e: int, most: int) -> int:
    """How many decimal digits (at most ``most`` + 1, to tell too many) start at ``p``."""
    n = 0
    while p + n < e and 48 <= data[p + n] <= 57 and n <= most:
        n += 1
    return n


@njit(cache=True)
def _number(data: np.ndarray, a: int, b: int) -> int:
    value = 0
    for i in range(a, b):
        value = value * 10 + (data[i] - 48)
    return value


@njit(cache=True)
def _xor(data: np.ndarray, a: int, b: int) -> int:
    value = 0
    for i in range(a, b):
        value ^= data[i]
    return value


@njit(cache=True)
def _unix_ms(raw: int) -> int:
    """A unix time in s or ms as ms, -1 when implausible."""
    ms = raw if raw > _MS_THRESHOLD else raw * 1000
    return ms if _MIN_MS <= ms < _MAX_MS else -1


@njit(cache=True)
def _line(  # noqa: PLR0912, PLR0915
    data: np.ndarray, s: int, e: int, out: np.ndarray, col: int, scratch: np.ndarray
) -> bool:
    """Read one line (bytes [s, e), whitespace trimmed) into column ``col`` of ``out``;
    False (nothing written): not regular.

    ``scratch`` (3 x 3) holds the tag block's fields: letter, value start, value end."""
    p = s
    # -- the tag block: \field(,field){0,2}*hh\ with fields s:, c:, g:
    nfields = 0
    tstar = given = 0
    tagged = p < e and data[p] == 92
    if tagged:
        p += 1
        while True:
            if p + 1 >= e or data[p + 1] != 58:
                return False
            letter = data[p]
            p += 2
            v = p
            if letter == 115:  # s:
                while p < e and _src_byte(data[p]):
                    p += 1
            elif letter == 99:  # c:
                n = _digits(data, p, e, 13)
                if n < 1 or n > 13:
                    return False
                p += n
            elif letter == 103:  # g:part-total-id
                n = _digits(data, p, e, 6)
                if n < 1 or n > 6 or p + n >= e or data[p + n] != 45:
                    return False
                p += n + 1
                n = _digits(data, p, e, 6)
                if n < 1 or n > 6 or p + n >= e or data[p + n] != 45:
                    return False
                p += n + 1
                while p < e and _gid_byte(data[p]):
                    p += 1
            else:
                return False
            scratch[0, nfields], scratch[1, nfields], scratch[2, nfields] = letter, v, p
            nfields += 1
            if p < e and data[p] == 44 and nfields < 3:
                p += 1
                continue
            break
        if p + 3 >= e or data[p] != 42 or data[p + 3] != 92:
            return False
        given = _hexval(data[p + 1]) * 16 + _hexval(data[p + 2])
        if _hexval(data[p + 1]) < 0 or _hexval(data[p + 2]) < 0:
            return False
        tstar = p
        p += 4
    # -- the sentence: !xxVD[MO],t,p,[seq],[ch],payload,fill*hh
    bang = p
    if bang + 11 > e or data[bang] != 33:
        return False
    if not (65 <= data[bang + 1] <= 90 and 65 <= data[bang + 2] <= 90):
        return False
    if (
        data[bang + 3] != 86
        or data[bang + 4] != 68
        or (data[bang + 5] != 77 and data[bang + 5] != 79)
    ):
        return False
    if data[bang + 6] != 44 or data[bang + 8] != 44 or data[bang + 10] != 44:
        return False
    total, part = data[bang + 7], data[bang + 9]
    if not (49 <= total <= 57 and 49 <= part <= 57) or part > total:
        return False
    p = bang + 11
    if p < e and 48 <= data[p] <= 57:
        p += 1
    if p >= e or data[p] != 44:
        return False
    p += 1
    if p < e and _alnum(data[p]):
        p += 1
    if p >= e or data[p] != 44:
        return False
    tail_end = p
    p += 1
    pay_start = p
    while p < e and _payload_byte(data[p]):
        p += 1
    pay_end = p
    if p + 5 > e or data[p] != 44 or not (48 <= data[p + 1] <= 53) or data[p + 2] != 42:
        return False
    sstar = p + 2
    h1, h2 = _hexval(data[sstar + 1]), _hexval(data[sstar + 2])
    if h1 < 0 or h2 < 0 or _xor(data, bang + 1, sstar) != h1 * 16 + h2:
        return False
    # -- the receiver trailer: (,[rb]station)?(,unix time)?
    p = sstar + 3
    station, st_end = False, p
    if p + 1 < e and data[p] == 44 and (data[p + 1] == 114 or data[p + 1] == 98):
        q = p + 2
        while q < e and _alnum(data[q]):
            q += 1
        if q == p + 2:
            return False
        station, st_end, p = True, q, q
    unix_ms = -1
    if p < e:
        if data[p] != 44:
            return False
        n = _digits(data, p + 1, e, 13)
        if n < 9 or n > 13 or p + 1 + n != e:
            return False
        unix_ms = _unix_ms(_number(data, p + 1, e))
    # -- the tag block's fields: each letter once, checksum right, c: plausible
    has_s = has_c = has_g = False
    s_at = c_at = g_at = 0
    for i in range(nfields):
        if scratch[0, i] == 115:
            if has_s:
                return False
            has_s, s_at = True, i
        elif scratch[0, i] == 99:
            if has_c:
                return False
            has_c, c_at = True, i
        else:
            if has_g:
                return False
            has_g, g_at = True, i
    if tagged:
        tag_sum = _xor(data, s + 1, tstar)
        if tag_sum != given:
            if not has_g:
                return False
            # the Norwegian variant: the checksum leaves out the g: field and one comma
            g_sum = _xor(data, scratch[1, g_at] - 2, scratch[2, g_at])
            comma = 44 if nfields >= 2 else 0
            if (tag_sum ^ g_sum ^ comma) != given:
                return False
    c_ms = -1
    if has_c:
        c_ms = _unix_ms(_number(data, scratch[1, c_at], scratch[2, c_at]))
        if c_ms < 0:
            return False
    # -- the fragment
    out[0, col], out[1, col] = s, e
    if has_c:
        out[2, col], out[3, col] = c_ms, 1
    elif unix_ms >= 0:
        out[2, col], out[3, col] = unix_ms, 1
    else:
        out[2, col], out[3, col] = 0, 0
    out[4, col], out[5, col], out[6, col] = total - 48, part - 48, data[sstar - 1] - 48
    if has_g:
        a, b = scratch[1, g_at], scratch[2, g_at]
        d1 = a
        while data[d1] != 45:
            d1 += 1
        d2 = d1 + 1
        while data[d2] != 45:
            d2 += 1
        out[7, col], out[8, col], out[9, col] = 1, _number(data, a, d1), _number(data, d1 + 1, d2)
        out[10, col], out[11, col] = d2 + 1, b
    else:
        out[7, col], out[8, col], out[9, col], out[10, col], out[11, col] = 0, 0, 0, 0, 0
    # source: s: when not empty, else the trailer's station, else none
    if has_s and scratch[2, s_at] > scratch[1, s_at]:
        out[12, col], out[13, col], out[14, col] = 1, scratch[1, s_at], scratch[2, s_at]
    elif station:
        out[12, col], out[13, col], out[14, col] = 1, sstar + 4, st_end
    else:
        out[12, col], out[13, col], out[14, col] = 0, 0, 0
    out[15, col] = np.int64(data[bang + 1]) * 256 + data[bang + 2]
    out[16, col], out[17, col] = bang + 11, tail_end
    out[18, col], out[19, col] = pay_start, pay_end
    return True


@njit(cache=True)
def _read_lines(data: np.ndarray, offsets: np.ndarray, out: np.ndarray, rows: np.ndarray) -> int:
    """The regular lines' fields into ``out`` (one row per field, a column per line) and
    their block rows into ``rows``; how many there are."""
    n = len(offsets) - 1
    scratch = np.zeros((3, 3), np.int64)
    k = 0
    for i in range(n):
        s, e = offsets[i], offsets[i + 1]
        while s < e and _space(data[s]):
            s += 1
        while e > s and _space(data[e - 1]):
            e -= 1
        if _line(data, s, e, out, k, scratch):
            rows[k] = i
            k += 1
    return k


@intrinsic
def _memcpy(
    typingctx: object, dst: Any, dst_at: Any, src: Any, src_at: Any, n: Any
) -> tuple[Any, Callable[..., object]]:
    """``dst[dst_at : dst_at + n] = src[src_at : src_at + n]`` (bytes) as one ``memcpy``:
    numba's slice assignment copies byte by byte (~3x slower on lines of ~80 bytes)."""
    sig = types.void(dst, types.intp, src, types.intp, types.intp)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        d, d_at, s, s_at, count = args
        d_arr = context.make_array(signature.args[0])(context, builder, d)
        s_arr = context.make_array(signature.args[2])(context, builder, s)
        to, frm = builder.gep(d_arr.data, [d_at]), builder.gep(s_arr.data, [s_at])
        cgutils.raw_memcpy(builder, to, frm, count, 1)  # type: ignore[no-untyped-call]
        return context.get_dummy_value()

    return sig, codegen


_copy = cast(Callable[..., None], _memcpy)  # typed for the callers


@njit(cache=True)
def _gather(
    data: np.ndarray, start: np.ndarray, end: np.ndarray, offsets: np.ndarray, out: np.ndarray
) -> None:
    for i in range(len(start)):
        _copy(out, offsets[i], data, start[i], end[i] - start[i])


@njit(cache=True)
def _join_sizes(
    rows: np.ndarray, n_a: int, off_a: np.ndarray, off_b: np.ndarray, sep: int, out: np.ndarray
) -> None:
    """The offsets of :func:`_join`'s strings into ``out`` (n + 1)."""
    n, t = rows.shape
    total = 0
    out[0] = 0
    for i in range(n):
        for k in range(t):
            r = rows[i, k]
            if r < 0:
                break
            if k and sep >= 0:
                total += 1
            if r < n_a:
                total += off_a[r + 1] - off_a[r]
            else:
                total += off_b[r - n_a + 1] - off_b[r - n_a]
        out[i + 1] = total


@njit(cache=True)
def _join(
    rows: np.ndarray,
    n_a: int,
    data_a: np.ndarray,
    off_a: np.ndarray,
    data_b: np.ndarray,
    off_b: np.ndarray,
    sep: int,
    offsets: np.ndarray,
    out: np.ndarray,
) -> None:
    """Each row of ``rows`` (-1 past its last string) as one string at ``offsets``: the
    strings it names joined by byte ``sep`` (none when negative). A string index below
    ``n_a`` is a string of column a, else string ``index - n_a`` of column b."""
    n, t = rows.shape
    for i in range(n):
        p = offsets[i]
        for k in range(t):
            r = rows[i, k]
            if r < 0:
                break
            if k and sep >= 0:
                out[p] = sep
                p += 1
            if r < n_a:
                a, b = off_a[r], off_a[r + 1]
                _copy(out, p, data_a, a, b - a)
            else:
                a, b = off_b[r - n_a], off_b[r - n_a + 1]
                _copy(out, p, data_b, a, b - a)
            p += b - a


def empty(shape: int | tuple[int, ...], dtype: type[np.generic]) -> np.ndarray:
    """An uninitialised array in Arrow's memory pool (mimalloc or jemalloc), which keeps its
    pages: a block's outputs (~30 MB) from numba's allocator (malloc, fresh pages each time)
    cost more in page faults than the compiled passes that fill them (measured: ~60 of the
    ~70 ms a block's raw texts took to copy)."""
    dims = (shape,) if isinstance(shape, int) else shape
    size = int(np.prod(dims)) * np.dtype(dtype).itemsize
    return np.frombuffer(pa.allocate_buffer(size), dtype).reshape(dims)


def _strings(offsets: np.ndarray, out: np.ndarray, mask: pa.Buffer | None = None) -> pa.Array:
    """A string column of int64 ``offsets`` into bytes ``out`` (large beyond int32)."""
    n = len(offsets) - 1
    if offsets[-1] <= MAX_BYTES:
        kind, offsets = pa.string(), offsets.astype(np.int32)
    else:
        kind = pa.large_string()
    return pa.Array.from_buffers(kind, n, [mask, pa.py_buffer(offsets), pa.py_buffer(out)])


def _readonly(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One compiled signature, whatever owns the bytes."""
    data = data.view()
    data.flags.writeable = False
    return data, offsets


def join(rows: np.ndarray, a: pa.Array, b: pa.Array, sep: str | None = None) -> pa.Array:
    """Strings made of the strings of ``a`` then ``b`` (one index space: ``b``'s first is
    ``len(a)``) named by each row of ``rows`` (n x t, -1 past a row's last), joined by
    ``sep``: ``binary_join_element_wise`` of takes, in one pass. Null only where the row's
    single string is null (as a take of one column)."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    data_a, off_a = _readonly(*bytes_of(a))
    data_b, off_b = _readonly(*bytes_of(b))
    byte = ord(sep) if sep is not None else -1
    offsets = empty(len(rows) + 1, np.int64)
    _join_sizes(rows, len(a), off_a, off_b, byte, offsets)
    out = empty(int(offsets[-1]), np.uint8)
    _join(rows, len(a), data_a, off_a, data_b, off_b, byte, offsets, out)
    mask = None
    if rows.shape[1] == 1 and (a.null_count or b.null_count):
        valid = np.concatenate(
            [
                a.is_valid().to_numpy(zero_copy_only=False),
                b.is_valid().to_numpy(zero_copy_only=False),
            ]
        )[rows[:, 0]]
        if not valid.all():
            mask = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return _strings(offsets, out, mask)


#: Blocks larger than this are left to the numpy passes (int32 string offsets below).
MAX_BYTES: Final = 2**31 - 1


def scan(texts: pa.Array) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """The block's bytes, the :data:`COLUMNS` of its regular lines (each a contiguous
    array), and the rows of ``texts`` those lines are (ascending)."""
    data, offsets = bytes_of(texts)
    data = data.view()
    data.flags.writeable = False  # one compiled signature, whatever owns the bytes
    n = len(offsets) - 1
    out, rows = empty((_N, n), np.int64), empty(n, np.int64)
    k = _read_lines(data, offsets, out, rows)
    fields = dict(zip(COLUMNS, out[:, :k], strict=True))
    return data, fields, rows[:k]


def gather(
    data: np.ndarray, start: np.ndarray, end: np.ndarray, valid: np.ndarray | None = None
) -> pa.Array:
    """Arrow strings of the byte ranges [start, end) of ``data`` (null where not ``valid``).

    The ranges' total length must stay below :data:`MAX_BYTES` (true of any block whose
    bytes do)."""
    n = len(start)
    offsets = empty(n + 1, np.int32)
    offsets[0] = 0
    np.cumsum(end - start, out=offsets[1:])
    out = empty(int(offsets[-1]), np.uint8)
    _gather(data, start, end, offsets, out)
    mask = None
    if valid is not None and not valid.all():
        mask = pa.py_buffer(np.packbits(valid, bitorder="little"))
    buffers = [mask, pa.py_buffer(offsets), pa.py_buffer(out)]
    return pa.Array.from_buffers(pa.string(), n, buffers)

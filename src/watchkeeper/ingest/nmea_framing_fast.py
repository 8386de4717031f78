"""Vectorised NMEA framing: the same frames as :func:`nmea_framing.iter_frames`, faster.

Most lines of a real feed have one shape: a tag block with a receive time (and a source),
then one ``!xxVDM`` sentence, both checksums right (the Norwegian feed, ORBCOMM-style
archives). Such *plain* lines are recognised for a whole block of lines at once with one
regular expression (RE2, in Arrow), their checksums are verified with a prefix XOR over the
block's bytes, and single-part ones become frames without a Python object per line.

Everything else goes through the reference framer itself, in line order, so that behaviour
stays the reference's by construction: multi-part plain fragments are handed to it already
parsed (its reassembly, limits and broken-group rules apply), and any other line (no tag
block, trailers, ``$PGHP``, ``g:`` groups, comments, bad checksums...) is fed to it as text.
The state a plain line would have changed in the reference (the last time seen, used by
``--time file-order``; a pending ``$PGHP`` time, consumed by any sentence) is set before
each line the reference sees. Frames come out in the reference's order: the order in which
their last fragment arrives.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest import nmea_framing as nf
from watchkeeper.ingest.options import TimeOption
from watchkeeper.ingest.sources import LineReader
from watchkeeper.schema import TIMESTAMP

__all__ = ["iter_frames_fast"]

# A plain line (after trimming ASCII whitespace): tag block with c: and maybe s: (source of
# letters, digits and _./+-), one !xxVDM/VDO sentence of armour characters, no trailer.
_SRC = r"[A-Za-z0-9_./+\-]*"
_PLAIN = (
    rf"^\\(?:s:{_SRC},c:[0-9]{{1,13}}|c:[0-9]{{1,13}}(?:,s:{_SRC})?)\*[0-9A-Fa-f]{{2}}\\"
    r"![A-Z]{2}VD[MO],[1-9],[1-9],[0-9]?,[A-Za-z0-9]?,[0-9:;<=>?@A-W`a-w]*,[0-5]"
    r"\*[0-9A-Fa-f]{2}$"
)
_BANG, _COMMA = ord("!"), ord(",")

_HEX = np.zeros(256, dtype=np.int64)
for _c in b"0123456789":
    _HEX[_c] = _c - 48
for _c in b"abcdef":
    _HEX[_c] = _c - 87
    _HEX[_c - 32] = _c - 87


class _Marked(int):
    """The reference framer's last time, as set here: tells whether a line replaced it."""


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Bytes and row offsets of a large_string array: exactly its rows' bytes (counts of a
    byte in them are counts over the rows)."""
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64, count=len(arr) + 1, offset=arr.offset * 8)
    if data_buf is None:
        return np.zeros(0, np.uint8), offsets - offsets[0]
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data, offsets - offsets[0]


def _bytes_of(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
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


def _windows(data: np.ndarray, start: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` bytes from each start (n x width; zeros past the end of ``data``).

    Within plain lines no window runs out (each field is followed by the checksum), so the
    padded copy is rarely made."""
    if not len(start):
        return np.zeros((0, width), dtype=np.uint8)
    if int(start.max()) + width > len(data):
        data = _padded(data)
    windows: np.ndarray = np.lib.stride_tricks.sliding_window_view(data, width)[start]
    return windows


def _substrings(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> pa.Array:
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
        prefix = _windows(data, start, 4)
        views[:, 1] = np.ascontiguousarray(prefix).view(np.int32)[:, 0]
        views[:, 3] = start  # buffer 0 (the zeros above)
        return _cast_views(views, data)
    elif n:
        width = min(int(lengths.max()), _INLINE)  # sources: often one length, no mask
        window = _windows(data, start, width)
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


def _digits(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The decimal numbers written in [start, end) (1 to 13 digits each)."""
    if not len(start):
        return np.zeros(0, np.int64)
    lengths = end - start
    width = int(lengths.max())
    digits = np.ascontiguousarray(_windows(data, start, width).T) - 48  # digit k: row k
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


class _Block:
    """The plain lines of one block, found by one regular expression and parsed by position."""

    def __init__(self, lines: pa.Array, first_line: int) -> None:
        lines = pc.ascii_trim_whitespace(lines)
        found = pc.match_substring_regex(lines, _PLAIN).to_numpy(zero_copy_only=False)
        plain = lines if found.all() else lines.filter(pa.array(found))
        data, off = _buffers(plain)
        start, end = off[:-1], off[1:]
        bang = _bangs(data, start)  # the '!' after the tag block
        tag_comma, pay_start = _commas(data, start, end)
        tag_sum, body_sum = _checksums(data, start + 1, bang - 4, bang + 1, end - 3)
        ok = (tag_sum == _hex(data, bang - 3)) & (body_sum == _hex(data, end - 2))
        has_comma = tag_comma < bang
        c_first = data[start + 1] == ord("c")
        c_start = np.where(c_first, start + 3, tag_comma + 3)
        c_end = np.where(c_first & has_comma, tag_comma, bang - 4)
        ms = _digits(data, c_start, c_end)
        ms = np.where(ms > nf._MS_THRESHOLD, ms, ms * 1000)
        ok &= (ms >= nf._MIN_MS) & (ms < nf._MAX_MS)
        every = bool(ok.all())
        if not every:
            start, end, bang, pay_start = start[ok], end[ok], bang[ok], pay_start[ok]
            tag_comma, has_comma, c_first = tag_comma[ok], has_comma[ok], c_first[ok]
        rows = np.arange(len(found)) if plain is lines else np.flatnonzero(found)
        self.rows = rows if every else rows[ok]
        self.lines = self.rows + first_line
        self.ms = ms if every else ms[ok]
        self.total = data[bang + 7].astype(np.int64) - 48
        self.part = data[bang + 9].astype(np.int64) - 48
        self.fill = (data[end - 4] - 48).astype(np.int8)
        c_then_s = c_first & has_comma
        s_start = np.where(c_then_s, tag_comma + 3, np.where(c_first, start, start + 3))
        s_end = np.where(c_then_s, bang - 4, np.where(c_first, start, tag_comma))
        self.source = _substrings(data, s_start, s_end)
        self.source_len = s_end - s_start
        self.source_mask = self.source_len == 0  # no s: field, or an empty one: None
        self.raw = plain if every else plain.filter(pa.array(ok))
        self.bang = bang - start
        self._data, self._bang, self._pay_start = data, bang, pay_start
        self._start, self._end = start, end

    def _same_key(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether rows a and b have the same reassembly key besides the source: talker and
        sentence (5 bytes after '!'), then "seq,channel" (0 to 3 bytes)."""
        data, bang, pay = self._data, self._bang, self._pay_start
        five = np.lib.stride_tricks.sliding_window_view(data, 5)
        same = (five[bang[a] + 1] == five[bang[b] + 1]).all(axis=1)
        la, lb = pay[a] - 1 - (bang[a] + 11), pay[b] - 1 - (bang[b] + 11)
        three = np.lib.stride_tricks.sliding_window_view(data, 3)
        used = np.arange(3)[None, :] < la[:, None]
        seq = np.where(used, three[bang[a] + 11] == three[bang[b] + 11], True).all(axis=1)
        result: np.ndarray = same & (la == lb) & seq
        return result

    def _source_or_none(self) -> pa.Array:
        if not self.source_mask.any():
            return self.source
        return pc.if_else(pa.array(self.source_mask), pa.scalar(None, pa.string()), self.source)

    def pairs(self, max_gap_ms: float) -> np.ndarray | None:
        """Part 1 of every two-part group if the multi-part lines are all adjacent complete
        pairs with one key, at most ``max_gap_ms`` apart (then reassembly needs no state),
        else None."""
        multi = self.total > 1
        first = np.flatnonzero(multi & (self.part == 1))
        second = first + 1
        if not multi.any():
            return first
        if (self.total[multi] != 2).any() or 2 * len(first) != multi.sum():
            return None
        if len(second) and second[-1] >= len(self.rows):
            return None
        if not (
            (self.rows[second] == self.rows[first] + 1).all() and (self.part[second] == 2).all()
        ):
            return None
        same = self._same_key(first, second)
        same &= self.source_len[first] == self.source_len[second]
        same &= np.abs(self.ms[second] - self.ms[first]) <= max_gap_ms
        if not same.all():
            return None
        a, b = pa.array(first), pa.array(second)
        same_source = pc.all(pc.equal(self.source.take(a), self.source.take(b)))
        return first if same_source.as_py() is not False else None

    def plain_frames(self, first: np.ndarray | None) -> tuple[np.ndarray, pa.Table]:
        """Frames of single-part lines and of the two-part groups starting at ``first``, in
        the order they are emitted (a group by its part 2), with the line emitting each."""
        emit = self.total == 1
        pairs = first if first is not None else np.zeros(0, np.int64)
        emit[pairs + 1] = True
        emitted = np.flatnonzero(emit)
        src = emitted.copy()  # the frame's first fragment, per emitted frame
        if len(pairs):
            pair_at = np.zeros(len(emit), dtype=bool)
            pair_at[pairs + 1] = True
            pair_at = pair_at[emitted]  # emitted frames that are two-part groups
            src[pair_at] -= 1
            payload, raw = self._with_pairs(pairs, emitted, pair_at)
        elif len(emitted) < len(emit):
            keep = pa.array(emit)
            payload, raw = self.payload.filter(keep), self.raw.filter(keep)
        else:
            payload, raw = self.payload, self.raw
        every = len(src) == len(emit)  # every line single-part: src is 0..n-1
        source = self._source_or_none()
        frames = pa.table(
            {
                "payload": payload,
                "fill_bits": pa.array(self.fill if every else self.fill[emitted]),
                "ts": pa.array(self.ms[src], pa.int64()).cast(TIMESTAMP),
                "time_assumed": pa.array(np.zeros(len(src), dtype=bool)),
                "source": source if every else source.take(pa.array(src)),
                "line": pa.array(self.lines[src]),
                "raw": raw,
            }
        )
        return self.lines[emitted], frames.cast(nf.FRAMES)

    def _with_pairs(
        self, first: np.ndarray, emitted: np.ndarray, pair_at: np.ndarray
    ) -> tuple[pa.Array, pa.Array]:
        """Payload and raw text of the emitted frames, two-part groups joined: the joined
        texts are appended to the block's bytes and every frame is one range of them."""
        a, b = pa.array(first), pa.array(first + 1)
        pay2 = pc.binary_join_element_wise(self._payloads(first), self._payloads(first + 1), "")
        raw2 = pc.binary_join_element_wise(self.raw.take(a), self.raw.take(b), _large("\n"))
        (pay_bytes, pay_off), (raw_bytes, raw_off) = _bytes_of(pay2), _bytes_of(raw2)
        data = np.concatenate([self._data, pay_bytes, raw_bytes, np.zeros(_INLINE, np.uint8)])
        pay_base, raw_base = len(self._data), len(self._data) + len(pay_bytes)
        single = emitted[~pair_at]
        pay_start, pay_end = np.empty((2, len(emitted)), dtype=np.int64)
        pay_start[~pair_at], pay_end[~pair_at] = self._pay_start[single], self._end[single] - 5
        pay_start[pair_at], pay_end[pair_at] = pay_base + pay_off[:-1], pay_base + pay_off[1:]
        raw_start, raw_end = np.empty((2, len(emitted)), dtype=np.int64)
        raw_start[~pair_at], raw_end[~pair_at] = self._start[single], self._end[single]
        raw_start[pair_at], raw_end[pair_at] = raw_base + raw_off[:-1], raw_base + raw_off[1:]
        return _substrings(data, pay_start, pay_end), _substrings(data, raw_start, raw_end)

    def _payloads(self, rows: np.ndarray) -> pa.Array:
        return _substrings(self._data, self._pay_start[rows], self._end[rows] - 5)

    @functools.cached_property
    def payload(self) -> pa.Array:
        """Payload of every plain line (made when asked: blocks with pairs make their own)."""
        return _substrings(self._data, self._pay_start, self._end - 5)

    def fragments(self) -> dict[int, nf.Fragment]:
        """The multi-part plain lines as the reference's parsed fragments, by block row."""
        multi = np.flatnonzero(self.total > 1)
        out: dict[int, nf.Fragment] = {}
        raws = self.raw.take(pa.array(multi)).to_pylist()
        for i, raw in zip(multi.tolist(), raws, strict=True):
            bang = int(self.bang[i])
            _, total, part, seq, channel, payload, fill = raw[bang + 1 : -3].split(",")
            source = None if self.source_mask[i] else self.source[i].as_py()
            out[int(self.rows[i])] = nf.Fragment(
                int(self.lines[i]), raw, raw[bang + 1 : bang + 3], int(total), int(part), seq,
                channel, payload, int(fill), int(self.ms[i]), source, None,
            )  # fmt: skip
        return out


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _checksums(
    data: np.ndarray, a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """XOR of the bytes of [a0, a1) and of [b0, b1) per row (ranges in order, non-empty)."""
    if not len(a0):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    sums = np.bitwise_xor.reduceat(data, np.stack([a0, a1, b0, b1], axis=1).ravel())
    return sums[0::4].astype(np.int64), sums[2::4].astype(np.int64)


def _first_at(
    data: np.ndarray, byte: int, start: np.ndarray, where: np.ndarray | None = None
) -> np.ndarray:
    """Position of the first ``byte`` at or after each start (len(data) when none)."""
    at = np.flatnonzero(data == byte) if where is None else where
    at = np.append(at, len(data))
    result: np.ndarray = at[np.searchsorted(at, start)]
    return result


def _commas(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per plain line, its first comma (in the tag block when it has one) and the start of
    its payload (after the sentence's fifth comma). A plain line has 6 commas, plus one
    when its tag block has two fields: when all lines have the same count, no search."""
    commas = np.flatnonzero(data == _COMMA)
    n = len(start)
    if n and len(commas) in (6 * n, 7 * n):
        per_line = commas.reshape(n, -1)
        return per_line[:, 0], per_line[:, -2] + 1
    tag_comma = _first_at(data, _COMMA, start, commas)
    pay_start = commas[np.searchsorted(commas, end - 5) - 1] + 1
    return tag_comma, pay_start


def _bangs(data: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The '!' of each plain line: its only one (no field of a plain line allows it)."""
    at = np.flatnonzero(data == _BANG)
    return at if len(at) == len(start) else _first_at(data, _BANG, start)


def _hex(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The two hex digits at ``at`` as a number."""
    value: np.ndarray = (_HEX[data[at]] << 4) | _HEX[data[at + 1]]
    return value


class _Emitted:
    """Frames and rejects of the reference framer, each stamped with the line that emitted it."""

    def __init__(self) -> None:
        self.frame_at: list[int] = []
        self.reject_at: list[int] = []

    def stamp(self, out: Any, line: int) -> None:
        self.frame_at.extend([line] * (len(out.cols["line"]) - len(self.frame_at)))
        self.reject_at.extend([line] * (len(out.rej["line"]) - len(self.reject_at)))


class _FastFramer:
    """Drives the reference framer for the lines that are not plain, keeping its state right."""

    def __init__(self, time: TimeOption, limits: nf.FramingLimits) -> None:
        self.ref = nf._Framer(time, limits)
        self.last_line = 0  # line of the reference's current ``last_ms`` (0: none)

    def block(self, texts: pa.Array, first_line: int, file: str) -> nf.FramedChunk:
        """Frame one block of lines (numbered from ``first_line``)."""
        plain = _Block(texts, first_line)
        emitted = _Emitted()
        is_plain = np.zeros(len(texts), dtype=bool)
        is_plain[plain.rows] = True
        ref_rows = np.flatnonzero(~is_plain)
        pairs = self._stateless_pairs(plain, texts, ref_rows)
        multi = plain.fragments() if pairs is None else {}
        todo = np.union1d(ref_rows, np.fromiter(multi, dtype=np.int64, count=len(multi)))
        # the plain line before each line the reference sees, for its time and $PGHP state
        prev_plain = np.searchsorted(plain.rows, todo) - 1
        prev_row = -1
        for k, row in enumerate(todo.tolist()):
            line = row + first_line
            j = int(prev_plain[k])
            if j >= 0:
                self._saw_plain(plain, j, prev_row)
            if row in multi:
                self.ref.pghp_ms = None
                self._track(lambda r=row: self.ref._fragment(multi[r]), line)
            else:
                self._track(lambda r=row: self.ref.feed(r + first_line, texts[r].as_py()), line)
            emitted.stamp(self.ref.out, line)
            prev_row = row
        if len(plain.rows) and (not len(todo) or plain.rows[-1] > todo[-1]):
            self._saw_plain(plain, len(plain.rows) - 1, int(todo[-1]) if len(todo) else -1)
        return self._merge(plain, pairs, emitted, file)

    def _stateless_pairs(
        self, plain: _Block, texts: pa.Array, ref_rows: np.ndarray
    ) -> np.ndarray | None:
        """Plain two-part groups that can be joined in bulk: the reference has nothing
        pending, no other line is a multi-part fragment, and every plain multi-part line is
        in an adjacent complete pair (see :meth:`_Block.pairs`)."""
        if self.ref.pending:
            return None
        if len(ref_rows):
            others = texts.take(pa.array(ref_rows))
            sentence = pc.match_substring_regex(others, "VD[MO],")
            single = pc.match_substring_regex(others, "VD[MO],1,1,")
            if pc.any(pc.and_(sentence, pc.invert(single))).as_py():
                return None
        return plain.pairs(self.ref.limits.max_part_gap_s * 1000)

    def _saw_plain(self, plain: _Block, j: int, prev_row: int) -> None:
        """Plain line j came after the reference's last line: it consumed $PGHP, set the time."""
        if plain.rows[j] <= prev_row:
            return
        self.ref.pghp_ms = None
        if plain.lines[j] > self.last_line:
            self.ref.last_ms = _Marked(int(plain.ms[j]))
            self.last_line = int(plain.lines[j])

    def _track(self, step: Any, line: int) -> None:
        """Run one reference step for ``line``; note whether it replaced the last time seen."""
        before = self.ref.last_ms
        if before is not None and not isinstance(before, _Marked):
            self.ref.last_ms = before = _Marked(before)
        step()
        if self.ref.last_ms is not before:
            self.last_line = line

    def finish(self, file: str) -> nf.FramedChunk:
        """End of input: groups still waiting are broken (the reference's rule)."""
        self.ref.finish()
        return self._take(file)

    def _take(self, file: str) -> nf.FramedChunk:
        chunk = self.ref.take(file)
        chunk.frames = chunk.frames.cast(nf.FRAMES)
        return chunk

    def _merge(
        self, plain: _Block, pairs: np.ndarray | None, emitted: _Emitted, file: str
    ) -> nf.FramedChunk:
        """All frames of the block in the order the reference emits them."""
        ref = self._take(file)
        parts = [plain.plain_frames(pairs)]
        parts.append((np.asarray(emitted.frame_at, dtype=np.int64), ref.frames))
        tables = [t for _, t in parts if t.num_rows]
        if len(tables) <= 1:
            return nf.FramedChunk(tables[0] if tables else ref.frames, ref.rejects, ref.skipped)
        at = np.concatenate([a for a, t in parts if t.num_rows])
        order = pa.array(np.argsort(at, kind="stable"))
        return nf.FramedChunk(pa.concat_tables(tables).take(order), ref.rejects, ref.skipped)


def iter_frames_fast(
    lines: Iterable[str],
    *,
    file: str,
    time: TimeOption = None,
    chunk_size: int = 100_000,
    limits: nf.FramingLimits = nf.FramingLimits(),  # noqa: B008  (frozen, immutable default)
) -> Iterator[nf.FramedChunk]:
    """Frame NMEA lines in blocks of ``chunk_size`` lines; same frames as ``iter_frames``.

    Each block gives one chunk (at most ``chunk_size`` frames plus rejects); memory is
    bounded by the block size and ``limits``. A :class:`~watchkeeper.ingest.sources.LineReader`
    is read as blocks of bytes (its lines, count and closing kept), not one ``str`` per line.
    """
    framer = _FastFramer(time, limits)
    blocks = _byte_blocks(lines, chunk_size) if isinstance(lines, LineReader) else None
    first = 1
    for block in blocks or _str_blocks(lines, chunk_size):
        chunk = framer.block(block, first, file)
        first += len(block)
        if chunk.frames.num_rows or chunk.rejects.num_rows or chunk.skipped:
            yield chunk
    last = framer.finish(file)
    if last.frames.num_rows or last.rejects.num_rows or last.skipped:
        yield last


def _str_blocks(lines: Iterable[str], size: int) -> Iterator[pa.Array]:
    it = iter(lines)
    while block := list(islice(it, size)):
        yield pa.array(block, pa.large_string())


_READ = 1 << 20  # bytes per read, as LineReader


def _byte_blocks(reader: LineReader, size: int) -> Iterator[pa.Array]:
    """The lines of a LineReader, ``size`` at a time, without a Python ``str`` per line.

    Lines split as LineReader splits them (at ``\\n``; the ``\\r`` and ``\\n`` left on a
    line are whitespace that framing strips); ASCII blocks become Arrow strings in place,
    others are decoded as latin-1 like LineReader does.
    """
    parts: list[bytes | memoryview] = []
    counted = 0  # newlines in ``parts``
    try:
        while data := reader.reader.read(_READ):
            parts.append(data)
            counted += data.count(b"\n")
            if counted < size:
                continue
            pending = memoryview(b"".join(parts))  # blocks are slices of it: no copy
            newlines = np.flatnonzero(np.frombuffer(pending, dtype=np.uint8) == 10)
            while len(newlines) >= size:
                cut = int(newlines[size - 1]) + 1
                yield _lines_array(pending[:cut], newlines[:size])
                reader.count += size
                pending, newlines = pending[cut:], newlines[size:] - cut
            parts, counted = [pending], len(newlines)
        rest = b"".join(parts)
        if rest:
            if not rest.endswith(b"\n"):  # a last line without its newline
                rest += b"\n"
            newlines = np.flatnonzero(np.frombuffer(rest, dtype=np.uint8) == 10)
            yield _lines_array(rest, newlines)
            reader.count += len(newlines)
    finally:
        if reader.close_at_end:
            reader.reader.close()


def _lines_array(data: bytes | memoryview, newlines: np.ndarray) -> pa.Array:
    """Arrow strings of the newline-terminated lines of ``data`` (each keeps its newline)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if len(raw) and raw.max() >= 128:  # not ASCII: latin-1, as LineReader decodes
        return pa.array(
            bytes(data).decode("latin-1").split("\n")[: len(newlines)], pa.large_string()
        )
    offsets = np.zeros(len(newlines) + 1, dtype=np.int64)
    offsets[1:] = newlines + 1
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.large_string(), len(newlines), buffers)

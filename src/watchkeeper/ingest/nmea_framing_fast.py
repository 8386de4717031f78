"""Vectorised NMEA framing: the same frames, rejects and counts as ``nmea_framing.iter_frames``.

Lines are read in blocks of ``chunk_size``; each block is parsed at once
(:mod:`~watchkeeper.ingest.nmea_fast_lines`: tag blocks with ``s:``/``c:``/``g:``, any
``!xxVDM`` sentence, receiver trailers), then its fragments are timed, grouped and
reassembled at once (:mod:`~watchkeeper.ingest.nmea_fast_groups`). Only lines of an unusual
shape are read one at a time. The reference framer (:mod:`~watchkeeper.ingest.nmea_framing`)
is the oracle this engine is tested against; the two share no state or private code, only
the reference's public parsing functions for unusual lines (so reject details agree).

Known difference, on hostile input only: the reference drops the oldest waiting group when
more than ``FramingLimits.max_pending`` are waiting at once (and forgets the oldest of more
than ``max_groups`` open tag-block groups); here the waiting groups are bounded by the same
limits, but counted at the end of each block.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest import nmea_framing as nf
from watchkeeper.ingest.nmea_fast_groups import (
    Broken,
    GroupState,
    Limits,
    apply_pghp,
    inherit,
    reassemble,
)
from watchkeeper.ingest.nmea_fast_lines import Frags, parse_block
from watchkeeper.ingest.options import FILE_ORDER, TimeOption
from watchkeeper.ingest.sources import LineReader
from watchkeeper.ingest.validate import make_rejects
from watchkeeper.schema import REJECTS, TIMESTAMP, RejectReason

__all__ = ["FastFramer", "iter_frames_fast"]


def _policy_ms(time: TimeOption) -> int | None:
    """The one time given to untimed lines by ``--time <ISO time>`` (None otherwise)."""
    if isinstance(time, datetime):
        when = time if time.tzinfo is not None else time.replace(tzinfo=UTC)
        return int(when.timestamp() * 1000)
    return None


class _Pieces:
    """Frames and rejects of one block, each with the line that emits it (for ordering).

    Frames are held as fragment rows until :meth:`chunk` builds them at once, in the
    reference's order, with one compiled pass per text column
    (:func:`~watchkeeper.ingest.nmea_fast_kernel.join`): no table per kind of message, no
    take to put them in order. Fragment rows are numbered across the fragments still
    waiting from earlier blocks (``waiting``) then this block's (``frags``).
    """

    def __init__(self, waiting: Frags | None = None, frags: Frags | None = None) -> None:
        self.texts = (waiting or Frags.empty(), frags or Frags.empty())
        self.rows: list[np.ndarray] = []
        self.frame_at: list[np.ndarray] = []
        self.numbers: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.rejects: list[pa.Table] = []
        self.reject_at: list[np.ndarray] = []
        self.reject_sub: list[np.ndarray] = []

    def frame(self, rows: np.ndarray, at: np.ndarray, *numbers: np.ndarray) -> None:
        """Frames of fragment ``rows`` (n x parts) emitted at lines ``at``; ``numbers``:
        fill bits, time (ms), time assumed, line."""
        if len(rows):
            fill, ts, assumed, line = numbers
            self.rows.append(rows)
            self.frame_at.append(at)
            self.numbers.append((fill, ts, assumed, line))

    def join(self, rows: np.ndarray, name: str, sep: str | None = None) -> pa.Array:
        """Text column ``name`` of the frames made of fragment ``rows`` (n x parts)."""
        from watchkeeper.ingest import nmea_fast_kernel as kernel

        a, b = self.texts
        return kernel.join(rows, getattr(a, name), getattr(b, name), sep)

    def reject(self, table: pa.Table, at: np.ndarray, sub: np.ndarray | None = None) -> None:
        if table.num_rows:
            self.rejects.append(table)
            self.reject_at.append(np.asarray(at, np.int64))
            self.reject_sub.append(np.zeros(len(at), np.int64) if sub is None else sub)

    def _frames(self) -> pa.Table:
        if not self.rows:
            return nf.FRAMES.empty_table()
        width = max(r.shape[1] for r in self.rows)
        rows = np.concatenate(
            [np.pad(r, ((0, 0), (0, width - r.shape[1])), constant_values=-1) for r in self.rows]
        )
        at = np.concatenate(self.frame_at)
        fill, ts, assumed, line = (np.concatenate(c) for c in zip(*self.numbers, strict=True))
        if (np.diff(at) < 0).any():
            order = np.argsort(at, kind="stable")
            rows, fill, ts, assumed, line = (x[order] for x in (rows, fill, ts, assumed, line))
        columns = [
            self.join(rows, "payload"),
            pa.array(fill, pa.int8()),
            pa.array(ts, pa.int64()).cast(TIMESTAMP),
            pa.array(assumed, pa.bool_()),
            self.join(rows[:, :1], "source"),
            pa.array(line, pa.int64()),
            self.join(rows, "raw", "\n"),
        ]
        return pa.Table.from_arrays(columns, schema=nf.FRAMES)

    def chunk(self, skipped: Counter[str]) -> nf.FramedChunk:
        frames = self._frames()
        if self.rejects:
            rejects = pa.concat_tables(self.rejects)
            order = np.lexsort((np.concatenate(self.reject_sub), np.concatenate(self.reject_at)))
            rejects = rejects.take(pa.array(order))
        else:
            rejects = REJECTS.empty_table()
        return nf.FramedChunk(frames, rejects, skipped)


class FastFramer:
    """The state of one stream: waiting fragments, open groups, last time, $PGHP time."""

    def __init__(self, time: TimeOption, limits: nf.FramingLimits) -> None:
        self.time = time
        self.fixed_ms = _policy_ms(time)
        self.max_pending = limits.max_pending
        self.max_groups = limits.max_groups
        self.limits = Limits(limits.max_part_gap_s * 1000, limits.max_part_lines)
        self.state = GroupState()

    def block(self, texts: pa.Array, first_line: int, file: str) -> nf.FramedChunk:
        """Frame one block of lines (numbered from ``first_line``)."""
        res = parse_block(texts, first_line)
        frags = res.frags
        apply_pghp(frags, res.consumers, res.pghp, self.state, first_line)
        inherit(frags, self.state, self.max_groups)
        last, has_last = self._last_seen(frags)
        waiting = self.state.pending
        n_wait = len(waiting)
        pieces = _Pieces(waiting, frags)
        if res.rejects:
            line, reason, detail, raw = (list(x) for x in zip(*res.rejects, strict=True))
            pieces.reject(make_rejects(file, line, reason, raw, detail), np.array(line))
        multi = frags.total > 1
        single = np.flatnonzero(~multi)
        if len(single):
            index = np.arange(n_wait, n_wait + len(frags))
            self._frames(pieces, frags, [single], last, has_last, file, index)
        many = np.flatnonzero(multi)
        both = Frags.concat([waiting, frags.take(many)]) if len(many) else waiting
        broken = Broken()
        messages, self.state.pending = reassemble(both, self.limits, broken, final=False)
        if messages:
            at_last = np.concatenate([np.zeros(n_wait, np.int64), last[many]])
            has_at = np.concatenate([np.zeros(n_wait, bool), has_last[many]])
            index = np.concatenate([np.arange(n_wait), n_wait + many])
            self._frames(pieces, both, messages, at_last, has_at, file, index, by_message=True)
        self._broken(pieces, both, broken, file)
        self._bound_pending(pieces, file)
        return pieces.chunk(res.skipped)

    def _last_seen(self, frags: Frags) -> tuple[np.ndarray, np.ndarray]:
        """The last time seen up to each fragment, itself included (``--time file-order``)."""
        n = len(frags)
        idx = np.where(frags.has_ts, np.arange(n), -1)
        np.maximum.accumulate(idx, out=idx)
        seen = idx >= 0
        before = self.state.last_ms
        last = np.where(seen, frags.ts[np.maximum(idx, 0)], before or 0)
        has_last = seen | (before is not None)
        if n and has_last[-1]:
            self.state.last_ms = int(last[-1])
        return last, has_last

    def _frames(
        self,
        pieces: _Pieces,
        frags: Frags,
        messages: list[np.ndarray],
        last: np.ndarray,
        has_last: np.ndarray,
        file: str,
        index: np.ndarray,
        by_message: bool = False,
    ) -> None:
        """Frames (or ``no_timestamp`` rejects) of messages given as fragment rows
        (``index``: the pieces' number of each row of ``frags``)."""
        for rows in messages:
            if by_message:
                t = int(frags.total[rows[0]])
                matrix = rows.reshape(-1, t)
            else:
                matrix = rows.reshape(-1, 1)
            first, end = matrix[:, 0], matrix[:, -1]
            ts, timed = frags.ts[first], frags.has_ts[first]
            assumed = ~timed
            if assumed.any():
                ts, timed = self._assume(ts, timed, last[end], has_last[end])
            at = frags.line[end]
            if not timed.all():
                missing = np.flatnonzero(~timed)
                pieces.reject(
                    make_rejects(
                        file,
                        pa.array(frags.line[first[missing]]),
                        pa.array([RejectReason.NO_TIMESTAMP.value] * len(missing)),
                        pieces.join(index[matrix[missing]], "raw", "\n"),
                        pa.array([nf.NO_TIMESTAMP_DETAIL] * len(missing)),
                    ),
                    at[missing],
                )
                keep = np.flatnonzero(timed)
                matrix, first, end, ts, assumed, at = (
                    x[keep] for x in (matrix, first, end, ts, assumed, at)
                )
            pieces.frame(index[matrix], at, frags.fill[end], ts, assumed, frags.line[first])

    def _assume(
        self, ts: np.ndarray, timed: np.ndarray, last: np.ndarray, has_last: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Times of untimed messages by the ``--time`` policy (still untimed: none)."""
        if self.fixed_ms is not None:
            return np.where(timed, ts, self.fixed_ms), np.ones(len(ts), bool)
        if self.time == FILE_ORDER:
            return np.where(timed, ts, last), timed | has_last
        return ts, timed

    def _broken(self, pieces: _Pieces, frags: Frags, broken: Broken, file: str) -> None:
        if not broken.rows:
            return
        rows = pa.array(np.array(broken.rows, np.int64))
        n = len(broken.rows)
        table = make_rejects(
            file,
            frags.line[np.array(broken.rows)].tolist(),
            [RejectReason.BROKEN_MULTIPART.value] * n,
            frags.raw.take(rows),
            broken.details,
        )
        at = np.array([e[0] for e in broken.emit], np.int64)
        sub = np.array([e[1] for e in broken.emit], np.int64)
        pieces.reject(table, at, sub)

    def _bound_pending(self, pieces: _Pieces, file: str) -> None:
        """Memory bound: beyond ``max_pending`` waiting groups, the oldest are broken."""
        pending = self.state.pending
        if len(pending) <= self.max_pending:  # a group has >= 1 fragment: cheap test first
            return
        key = pc.binary_join_element_wise(
            pc.coalesce(pending.gid, pending.source, pa.scalar("")), pending.tail, "\x1f"
        )
        code = pc.dictionary_encode(key).indices.to_numpy(zero_copy_only=False)
        groups = np.unique(code)
        if len(groups) <= self.max_pending:
            return
        last_line = np.zeros(int(code.max()) + 1, np.int64)
        np.maximum.at(last_line, code, pending.line)
        oldest = np.argsort(last_line[groups], kind="stable")[: len(groups) - self.max_pending]
        drop = np.isin(code, groups[oldest])
        broken = Broken()
        rows = np.flatnonzero(drop)
        broken.add(pending, rows.tolist(), "too many incomplete groups", int(pending.line.max()))
        self._broken(pieces, pending, broken, file)
        self.state.pending = pending.take(np.flatnonzero(~drop))

    def finish(self, file: str) -> nf.FramedChunk:
        """End of input: groups still waiting are broken (the reference's rule)."""
        pieces = _Pieces()
        broken = Broken()
        reassemble(self.state.pending, self.limits, broken, final=True)
        self._broken(pieces, self.state.pending, broken, file)
        self.state.pending = Frags.empty()
        return pieces.chunk(Counter())


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
    framer = FastFramer(time, limits)
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
    marks: list[np.ndarray] = []  # the newlines of each part (found once per byte)
    counted = 0  # newlines in ``parts``
    try:
        while data := reader.reader.read(_READ):
            parts.append(data)
            marks.append(np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10))
            counted += len(marks[-1])
            if counted < size:
                continue
            base = np.cumsum([0] + [len(p) for p in parts[:-1]])
            newlines = np.concatenate([m + b for m, b in zip(marks, base.tolist(), strict=True)])
            pending = memoryview(b"".join(parts))  # blocks are slices of it: no copy
            while len(newlines) >= size:
                cut = int(newlines[size - 1]) + 1
                yield _lines_array(pending[:cut], newlines[:size])
                reader.count += size
                pending, newlines = pending[cut:], newlines[size:] - cut
            parts, marks, counted = [pending], [newlines], len(newlines)
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

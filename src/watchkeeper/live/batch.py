"""Lines of the write-ahead log into the store, in batches that never cut a message.

:func:`frame_batch` frames a run of log lines with the fast engine's streaming framer and
cuts the run before the first line of any multi-sentence message still waiting for a part:
those lines stay in the log for the next batch, which frames them again from scratch. Each
batch is therefore framed alone, with no state carried from the one before, and gives the
frames a batch ingest of the whole log gives for its messages (a restart reads the same
batches). :class:`BatchWriter` decodes the frames with the fast decoder, drops duplicate
reports (the ingest ``Deduper``, loaded from the store for days stored before) and commits
positions, identity runs, rejects and the batch's log row in one ingest transaction whose id
is the checkpoint (:mod:`.checkpoint`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from watchkeeper.ingest import nmea_fast
from watchkeeper.ingest import nmea_framing as nf
from watchkeeper.ingest.dedupe import KEY_COLUMNS, Deduper
from watchkeeper.ingest.identity_runs import IdentityRuns
from watchkeeper.ingest.nmea_framing_fast import FastFramer
from watchkeeper.live.checkpoint import Checkpoint, batch_id
from watchkeeper.schema import REJECTS, Decoded
from watchkeeper.store.workspace import Workspace

__all__ = ["BatchResult", "BatchWriter", "Framed", "frame_batch", "lines_array"]


def lines_array(data: bytes) -> pa.Array:
    """The newline-terminated lines of ``data`` as Arrow strings (latin-1, as files are read)."""
    text = data.decode("latin-1")
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return pa.array(parts, pa.large_string())


@dataclass
class Framed:
    """Frames and framing rejects of the first ``n_lines`` lines of a run (the batch)."""

    chunk: nf.FramedChunk
    n_lines: int


def _hold_from(framer: FastFramer, first_line: int, n: int, limits: nf.FramingLimits) -> int:
    """First line of a message that may still be completed after framing ``n`` lines (or
    past the end). Fragments and tag-block groups more than ``max_part_lines`` lines before
    the end are not held: no later part can join them (the framer breaks such a pair)."""
    recent = first_line + n - 1 - limits.max_part_lines
    held = []
    for lines in (framer.state.pending.line, framer.state.heads.line):
        young = lines[lines > recent]
        if len(young):
            held.append(int(young.min()))
    return min(held, default=first_line + n)


def frame_batch(
    lines: pa.Array,
    *,
    first_line: int,
    file: str,
    limits: nf.FramingLimits = nf.FramingLimits(),  # noqa: B008  (frozen, immutable default)
    final: bool = False,
) -> Framed:
    """Frame the longest prefix of ``lines`` that leaves no message half read.

    Lines are numbered from ``first_line`` (their line numbers in the log). The prefix ends
    before the first line of a message still waiting for a part; framing it again may show
    an earlier such line (a message interleaved with the held one), so this repeats until
    the prefix frames with nothing waiting (at most a few passes; usually one or two).
    ``final`` (a watch that stops): every line is framed and messages still waiting for a
    part are broken, as at the end of a file.
    """
    n = len(lines)
    while n > 0:
        framer = FastFramer(None, limits)
        chunk = framer.block(lines.slice(0, n), first_line, file)
        hold = n if final else _hold_from(framer, first_line, n, limits) - first_line
        if hold >= n:  # what still waits is too old to be completed: broken, as at the end
            rest = framer.finish(file)
            rejects = pa.concat_tables([chunk.rejects, rest.rejects])
            return Framed(nf.FramedChunk(chunk.frames, rejects, chunk.skipped), n)
        n = hold
    return Framed(nf.FramedChunk(nf.FRAMES.empty_table(), _empty_rejects(), Counter()), 0)


def _empty_rejects() -> pa.Table:
    return REJECTS.empty_table()


@dataclass
class BatchResult:
    """What one committed batch added."""

    end: Checkpoint
    lines: int = 0
    positions: int = 0
    identities: int = 0
    duplicates: int = 0
    rejects: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    # the batch's decoded positions and identity reports (for the fast alerts: live/fast.py)
    new_positions: pa.Table | None = None
    new_identities: pa.Table | None = None


class BatchWriter:
    """Commits decoded batches of log lines to a workspace, each at most once.

    Holds what a batch ingest holds across chunks of one file: the duplicate filter (its
    keys of the days written, about 8 bytes per stored position, loaded from the store for a
    day first seen) and type 24 names. Identity runs are closed at each batch (a batch must
    leave nothing in memory that the checkpoint says is stored), so a live store has more,
    shorter runs than a batch ingest of the same lines, with the same reports in them.
    """

    def __init__(self, ws: Workspace, *, file: str) -> None:
        self.ws = ws
        self.file = file
        self.names: dict[int, str] = {}
        self.dedupe = Deduper(self._stored_day)

    def _stored_day(self, day_no: int) -> pa.Table | None:
        start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day_no)
        return self.ws.positions(start=start, end=start + timedelta(days=1), columns=KEY_COLUMNS)

    def decode(self, framed: Framed) -> Decoded:
        """Positions, identities and rejects of framed lines (the fast decoder's output)."""
        chunk = framed.chunk
        decoded = nmea_fast.decode_frames(chunk.frames, file=self.file, type24_names=self.names)
        rejects = pa.concat_tables([chunk.rejects, decoded.rejects]).sort_by("line")
        return Decoded(
            decoded.positions, decoded.identities, rejects, chunk.skipped + decoded.skipped
        )

    def commit(self, start: Checkpoint, data: bytes, framed: Framed) -> BatchResult:
        """Store the batch of log bytes ``data`` (from ``start``), framed as ``framed``.

        One ingest transaction named by the batch's end: a batch already committed adds
        nothing (idempotent), one interrupted is rolled back by the next transaction.
        """
        used = _prefix_bytes(data, framed.n_lines)
        end = Checkpoint(start.offset + used, start.lines + framed.n_lines)
        result = BatchResult(end=end, lines=framed.n_lines)
        ingest_id = batch_id(end)
        decoded = self.decode(framed)
        result.new_positions, result.new_identities = decoded.positions, decoded.identities
        started = datetime.now(UTC)
        with self.ws.ingest_transaction(ingest_id) as needed:
            if not needed:
                return result
            before = self.dedupe.duplicates
            pos_out = self.ws.writer("positions", ingest_id)
            ids_out = self.ws.writer("identities", ingest_id)
            try:
                pos_out.write(self.dedupe.keep(decoded.positions))
                runs = IdentityRuns()
                ids_out.write(runs.add(decoded.identities))
                ids_out.write(runs.flush())
            finally:
                pos_out.close()
                ids_out.close()
            self.ws.add_rejects(ingest_id, decoded.rejects)
            result.positions, result.identities = pos_out.rows, ids_out.rows
            result.duplicates = self.dedupe.duplicates - before
            result.rejects = decoded.reject_counts()
            result.skipped = Counter(decoded.skipped)
            if result.duplicates:
                result.skipped["duplicate"] += result.duplicates
            if runs.duplicates:
                result.skipped["duplicate_static"] += runs.duplicates
            self.ws.log_ingest(
                {
                    "ingest_id": ingest_id,
                    "file": self.file,
                    "sha256": hashlib.sha256(data[:used]).hexdigest(),
                    "size_bytes": used,
                    "format": "nmea",
                    "started": started,
                    "n_positions": result.positions,
                    "n_identities": result.identities,
                    "n_rejects": sum(result.rejects.values()),
                    "skipped": dict(result.skipped),
                    "rejects_by_reason": dict(result.rejects),
                }
            )
        return result


def _prefix_bytes(data: bytes, n_lines: int) -> int:
    """Bytes of the first ``n_lines`` newline-terminated lines of ``data``."""
    if n_lines == 0:
        return 0
    nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    return int(nl[n_lines - 1]) + 1

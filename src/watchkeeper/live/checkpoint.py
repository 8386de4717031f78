"""The checkpoint: how far the write-ahead log is safely in the store.

Each store batch is one ingest transaction of the workspace whose id names the log offset
and line number just past its last line (:func:`batch_id`). The batch's files, rejects and
log row appear together when the transaction commits, so the checkpoint is simply the
largest end among committed batches: no separate file can disagree with the store, and a
batch cut short by ``kill -9`` is rolled back by the next transaction and read again from
the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

__all__ = ["PREFIX", "Checkpoint", "batch_id", "from_ingest_log", "parse_batch_id"]

#: Ingest ids of live batches start with this (SHA-256 ids of files are hexadecimal).
PREFIX = "live"
# Fixed widths: ids sort by offset, none is a prefix of another, and no id ends in
# "-<digits>" (the store's suffix of a second part file of one day).
_ID = re.compile(rf"{PREFIX}o(?P<offset>\d{{16}})l(?P<line>\d{{12}})")


@dataclass(frozen=True, order=True)
class Checkpoint:
    """Byte offset and number of lines of the log that are in the store."""

    offset: int = 0
    lines: int = 0


def batch_id(end: Checkpoint) -> str:
    """The ingest id of the batch that ends at ``end``.

    >>> batch_id(Checkpoint(1234, 20))
    'liveo0000000000001234l000000000020'
    >>> parse_batch_id(batch_id(Checkpoint(1234, 20)))
    Checkpoint(offset=1234, lines=20)
    """
    return f"{PREFIX}o{end.offset:016d}l{end.lines:012d}"


def parse_batch_id(ingest_id: str) -> Checkpoint | None:
    """The end of a live batch from its ingest id (None for another kind of ingest)."""
    m = _ID.fullmatch(ingest_id)
    return Checkpoint(int(m["offset"]), int(m["line"])) if m else None


def from_ingest_log(log: pa.Table) -> Checkpoint:
    """The checkpoint of a workspace: the furthest end among its committed live batches."""
    ends = [parse_batch_id(i) for i in log.column("ingest_id").to_pylist()] if log.num_rows else []
    return max((e for e in ends if e is not None), default=Checkpoint())

"""Where writers write: a path (``.gz`` compressed), ``-`` for stdout, or an open binary stream."""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from watchkeeper.schema import POSITIONS

__all__ = ["Sink", "as_batches", "canonical", "open_sink"]

Sink = str | os.PathLike[str] | BinaryIO


@contextlib.contextmanager
def open_sink(out: Sink) -> Iterator[BinaryIO]:
    """A binary stream for ``out``; files this opens are closed (and flushed) on exit."""
    if isinstance(out, str) and out == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if isinstance(out, str | os.PathLike):
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        opener = gzip.open if path.suffix == ".gz" else Path.open
        with opener(path, "wb") as stream:
            yield stream  # type: ignore[misc]
        return
    yield out


def as_batches(positions: pa.Table | Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Record batches in the canonical POSITIONS schema, from a table or an iterable."""
    batches = positions.to_batches() if isinstance(positions, pa.Table) else positions
    for batch in batches:
        if batch.num_rows:
            yield from canonical(pa.Table.from_batches([batch])).to_batches()


def canonical(table: pa.Table) -> pa.Table:
    """``table`` in the POSITIONS schema; a missing ``line`` (unknown source line) is null."""
    if "line" not in table.column_names:
        table = table.append_column("line", pa.nulls(table.num_rows, pa.int64()))
    return table.select(POSITIONS.names).cast(POSITIONS)

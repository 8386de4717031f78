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

from watchkeeper.errors import WatchkeeperError
from watchkeeper.schema import POSITIONS

__all__ = ["Sink", "as_batches", "atomic_file", "canonical", "open_sink"]

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
        with atomic_file(path) as tmp:
            opener = gzip.open if path.suffix == ".gz" else Path.open
            with opener(tmp, "wb") as stream:
                yield stream  # type: ignore[misc]
        return
    yield out


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it when the block succeeds.

    The folder is created if needed. Until the rename the previous file is untouched, and
    a failed or killed write leaves at most a hidden ``.<name>.*.tmp`` file, never a
    cut-off file under the final name."""
    final = Path(path)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WatchkeeperError(f"cannot create the folder of {final}: {exc.strerror}") from exc
    if final.is_dir():
        raise WatchkeeperError(f"{final} is a folder; give a file name")
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        tmp.replace(final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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

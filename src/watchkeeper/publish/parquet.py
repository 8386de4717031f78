"""Positions as Parquet in the canonical POSITIONS schema (zstd), streamed batch by batch."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from watchkeeper.publish._sink import Sink, as_batches, open_sink
from watchkeeper.schema import POSITIONS

__all__ = ["write_positions_parquet"]


def write_positions_parquet(positions: pa.Table | Iterable[pa.RecordBatch], out: Sink) -> int:
    """Write positions to Parquet (one row group per batch); rows written."""
    n = 0
    with open_sink(out) as stream, pq.ParquetWriter(stream, POSITIONS, compression="zstd") as w:
        for batch in as_batches(positions):
            w.write_batch(batch)
            n += batch.num_rows
    return n

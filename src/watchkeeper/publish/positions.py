"""Export a workspace's positions in a user's format, streaming in time order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from watchkeeper.errors import ConfigError
from watchkeeper.schema import POSITIONS
from watchkeeper.store.workspace import Workspace

__all__ = ["export_positions"]

_BATCH = 200_000


def _batches(ws: Workspace) -> Iterator[pa.RecordBatch]:
    with ws.connect() as con:
        rel = con.sql("SELECT * FROM positions ORDER BY ts, mmsi")
        assert rel is not None
        for batch in rel.to_arrow_reader(_BATCH):
            yield (
                pa.Table.from_batches([batch])
                .select(POSITIONS.names)
                .cast(POSITIONS)
                .to_batches()[0]
            )


def export_positions(ws: Workspace, out: BinaryIO, *, fmt: str = "csv") -> int:
    """Write every position of ``ws`` to ``out`` as csv (MarineCadastre), parquet or geojson."""
    if fmt == "csv":
        from watchkeeper.publish.marinecadastre import write_marinecadastre_csv

        return write_marinecadastre_csv(_batches(ws), ws.read("identities"), out)
    if fmt == "geojson":
        from watchkeeper.publish.geojson import write_geojson

        return write_geojson(pa.Table.from_batches(list(_batches(ws)), POSITIONS), out)
    if fmt == "parquet":
        n = 0
        with pq.ParquetWriter(out, POSITIONS, compression="zstd") as writer:
            for batch in _batches(ws):
                writer.write_batch(batch)
                n += batch.num_rows
        return n
    raise ConfigError(f"unknown positions format {fmt!r}: use csv, parquet or geojson")

"""Export a workspace's positions in a user's format, streaming in time order."""

from __future__ import annotations

from typing import BinaryIO

import pyarrow as pa

from watchkeeper.errors import ConfigError
from watchkeeper.schema import POSITIONS
from watchkeeper.store.base import Store

__all__ = ["export_positions"]

_BATCH = 200_000


def export_positions(ws: Store, out: BinaryIO, *, fmt: str = "csv") -> int:
    """Write every position of ``ws`` to ``out`` as csv (MarineCadastre), parquet or geojson.

    csv and parquet rows carry the vessel's static fields as known at their time."""
    if fmt == "csv":
        from watchkeeper.publish.marinecadastre import write_marinecadastre_csv

        return write_marinecadastre_csv(
            ws.position_batches(batch_rows=_BATCH), ws.read("identities"), out
        )
    if fmt == "geojson":
        from watchkeeper.publish.geojson import write_geojson

        return write_geojson(
            pa.Table.from_batches(list(ws.position_batches(batch_rows=_BATCH)), POSITIONS), out
        )
    if fmt == "parquet":
        from watchkeeper.publish.parquet import write_positions_parquet

        # the static fields ride on every row, as in the CSV: a re-ingest keeps the identities
        return write_positions_parquet(
            ws.position_batches(batch_rows=_BATCH), out, ws.read("identities")
        )
    raise ConfigError(f"unknown positions format {fmt!r}: use csv, parquet or geojson")

"""Positions as Parquet in the canonical POSITIONS schema (zstd), streamed batch by batch.

Given the workspace's identities, every row also carries the vessel's static fields as known
at its time (the as-of join of :mod:`watchkeeper.publish.asof`), as a MarineCadastre CSV
does: re-ingested, those columns are identity reports again (``ingest.parquet``), so the
ship types, names and draughts survive a round trip (docs/formats.md).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.publish._sink import Sink, as_batches, open_sink
from watchkeeper.publish.asof import IdentityAsOf
from watchkeeper.schema import IDENTITIES, POSITIONS

__all__ = ["POSITIONS_WITH_STATICS", "STATIC_COLUMNS", "write_positions_parquet"]

#: The identity fields a positions export carries per row (every field of ``identities``
#: that describes the vessel or its voyage; times, counts and provenance stay with the runs).
STATIC_COLUMNS = (
    "name",
    "imo",
    "callsign",
    "ship_type",
    "length_m",
    "beam_m",
    "draught_m",
    "destination",
    "eta",
)
#: POSITIONS and then the static columns, typed as in IDENTITIES.
POSITIONS_WITH_STATICS = pa.schema([*POSITIONS, *(IDENTITIES.field(f) for f in STATIC_COLUMNS)])


def write_positions_parquet(
    positions: pa.Table | Iterable[pa.RecordBatch],
    out: Sink,
    identities: pa.Table | None = None,
) -> int:
    """Write positions to Parquet (one row group per batch); rows written.

    With ``identities`` each row also holds the static fields known at its time
    (:data:`STATIC_COLUMNS`; before a vessel's first identity report, its first one).
    """
    lookup = IdentityAsOf(identities, list(STATIC_COLUMNS)) if identities is not None else None
    schema = POSITIONS if lookup is None else POSITIONS_WITH_STATICS
    n = 0
    with open_sink(out) as stream, pq.ParquetWriter(stream, schema, compression="zstd") as w:
        for batch in as_batches(positions):
            w.write_batch(batch if lookup is None else _with_statics(batch, lookup))
            n += batch.num_rows
    return n


def _with_statics(batch: pa.RecordBatch, lookup: IdentityAsOf) -> pa.RecordBatch:
    """The batch with the static columns of its rows appended."""
    ts = pc.cast(batch.column("ts"), pa.int64()).to_numpy(zero_copy_only=False)
    static = lookup.lookup(batch.column("mmsi").to_numpy(zero_copy_only=False), ts)
    columns = [*batch.columns, *(static.column(f).combine_chunks() for f in STATIC_COLUMNS)]
    return pa.RecordBatch.from_arrays(columns, schema=POSITIONS_WITH_STATICS)

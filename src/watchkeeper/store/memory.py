"""A store held in memory as Arrow tables: for tests and for short-lived pipelines.

It answers every :class:`~watchkeeper.store.base.Store` method with the same SQL as the
workspace (:mod:`watchkeeper.store._sql`), run by an in-memory DuckDB over its tables, so a
test on a ``MemoryStore`` exercises the queries a workspace runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.schema import REJECTS
from watchkeeper.store._sql import (
    INGEST_LOG,
    LAYERS,
    REJECTS_STORED,
    SqlStore,
    check_layer,
    check_table_name,
    day_of,
    log_row,
)

__all__ = ["MemoryStore"]

_PROVENANCE = "_prov_"  # registered name prefix of a layer with filename/file_row_number


class _MemoryWriter:
    """Appends one layer of one ingest to a :class:`MemoryStore` (visible at once)."""

    def __init__(self, store: MemoryStore, layer: str, ingest_id: str) -> None:
        self._store, self._layer, self._id = store, layer, ingest_id
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Append ``table`` (canonical schema)."""
        if table.num_rows == 0:
            return
        self._store._chunks[self._layer].append((self._id, table.cast(LAYERS[self._layer])))
        self.rows += table.num_rows

    def close(self) -> None:
        """Nothing to finish: rows are stored as they are written."""


class MemoryStore(SqlStore):
    """Positions, identities, the ingest log, rejects and derived tables as Arrow tables.

    >>> MemoryStore().count("positions")
    0
    """

    def __init__(self) -> None:
        self._chunks: dict[str, list[tuple[str, pa.Table]]] = {layer: [] for layer in LAYERS}
        self._tables: dict[str, pa.Table] = {}
        self._log: dict[str, dict[str, Any]] = {}
        self._rejects: list[pa.Table] = []

    def __repr__(self) -> str:
        return "MemoryStore()"

    @property
    def location(self) -> str:
        """Always ``memory``."""
        return "memory"

    # -- what the shared SQL reads --------------------------------------------------------

    def _layer(self, layer: str, *, provenance: bool = False) -> pa.Table:
        chunks = self._chunks[layer]
        if not provenance:
            return pa.concat_tables([t for _, t in chunks] or [LAYERS[layer].empty_table()])
        parts = []
        for ingest_id, t in chunks:
            n = t.num_rows
            parts.append(
                t.append_column(
                    "filename", pa.array([f"{ingest_id}.parquet"] * n, pa.string())
                ).append_column("file_row_number", pa.array(range(n), pa.int64()))
            )
        if not parts:
            empty = LAYERS[layer].empty_table()
            empty = empty.append_column("filename", pa.array([], pa.string()))
            parts = [empty.append_column("file_row_number", pa.array([], pa.int64()))]
        return pa.concat_tables(parts)

    def _scan(
        self, layer: str, *, days: tuple[str, str] | None = None, provenance: bool = False
    ) -> str:
        check_layer(layer)
        name = (_PROVENANCE if provenance else "_") + layer
        if days is None:
            return f"SELECT * FROM {name}"
        lo, hi = days
        return f"SELECT * FROM {name} WHERE strftime(ts, '%Y-%m-%d') BETWEEN '{lo}' AND '{hi}'"

    @contextlib.contextmanager
    def _reader(self, *, tables: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            for layer in LAYERS:
                con.register(f"_{layer}", self._layer(layer))
                con.register(f"{_PROVENANCE}{layer}", self._layer(layer, provenance=True))
            if tables:
                con.register("ingest_log", self.ingest_log())
                con.register("rejects", self.rejects())
                for name, table in self._tables.items():
                    con.register(name, table)
            yield con
        finally:
            con.close()

    # -- layer metadata -------------------------------------------------------------------

    def count(self, layer: str) -> int:
        """Rows in ``layer``."""
        check_layer(layer)
        return sum(t.num_rows for _, t in self._chunks[layer])

    def day_counts(self, layer: str = "positions") -> dict[str, int]:
        """Rows per day (YYYY-MM-DD) of ``layer``."""
        check_layer(layer)
        out: dict[str, int] = {}
        for _, t in self._chunks[layer]:
            ms = pc.cast(t["ts"], pa.int64()).to_numpy()
            for day, n in zip(
                *np.unique(ms // 86_400_000 * 86_400_000, return_counts=True), strict=True
            ):
                key = day_of(int(day))
                out[key] = out.get(key, 0) + int(n)
        return dict(sorted(out.items()))

    def days(self, layer: str = "positions") -> list[str]:
        """The days (YYYY-MM-DD) that have data in ``layer``."""
        return list(self.day_counts(layer))

    # -- ingest bookkeeping and writes ----------------------------------------------------

    def is_ingested(self, ingest_id: str) -> bool:
        """Whether a source with this id was logged as ingested completely."""
        return ingest_id in self._log

    def log_ingest(self, record: dict[str, Any]) -> None:
        """Mark an ingest complete."""
        row = log_row(record)
        self._log[str(row["ingest_id"])] = row

    def ingest_log(self) -> pa.Table:
        """Every completed ingest, oldest first."""
        rows = sorted(self._log.values(), key=lambda r: (r["finished"], r["ingest_id"]))
        return pa.Table.from_pylist(rows, schema=INGEST_LOG)

    def add_rejects(self, ingest_id: str, rejects: pa.Table) -> None:
        """Quarantine rejected records of one ingest."""
        if rejects.num_rows == 0:
            return
        table = rejects.cast(REJECTS)
        ids = pa.array([ingest_id] * table.num_rows, pa.string())
        self._rejects.append(table.add_column(0, "ingest_id", ids))

    def rejects(self, *, ingest_id: str | None = None) -> pa.Table:
        """Quarantined records (all, or of one ingest), by ingest and line."""
        table = pa.concat_tables(self._rejects or [REJECTS_STORED.empty_table()])
        if ingest_id is not None:
            table = table.filter(pc.equal(table["ingest_id"], ingest_id))
        return table.sort_by([("ingest_id", "ascending"), ("line", "ascending")])

    def writer(self, layer: str, ingest_id: str) -> _MemoryWriter:
        """A writer appending one layer of one source."""
        check_layer(layer)
        return _MemoryWriter(self, layer, ingest_id)

    def discard(self, ingest_id: str) -> None:
        """Remove the rows and rejects of an ingest that did not finish."""
        for layer in LAYERS:
            self._chunks[layer] = [(i, t) for i, t in self._chunks[layer] if i != ingest_id]
        self._rejects = [
            t for t in self._rejects if t.num_rows and t["ingest_id"][0].as_py() != ingest_id
        ]

    # -- derived tables -------------------------------------------------------------------

    def write_table(self, name: str, table: pa.Table) -> None:
        """Replace table ``name`` with ``table``."""
        check_table_name(name)
        self._tables[name] = table

    def write_tables(self, tables: dict[str, pa.Table]) -> None:
        """Replace several tables at once (checked first, then swapped in one update)."""
        for name in tables:
            check_table_name(name)
        self._tables.update(tables)

    def read_table(self, name: str) -> pa.Table | None:
        """Table ``name``, or None if it was never written."""
        check_table_name(name)
        return self._tables.get(name)

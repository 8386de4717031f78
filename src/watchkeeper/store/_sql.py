"""The store's SQL, shared by every store that can show its data to DuckDB.

A store subclass says how to reach its data (:meth:`SqlStore._scan` gives a relation over a
layer, :meth:`SqlStore._reader` a connection on which the bookkeeping and derived tables can
be read); every query below is then the same for a workspace folder and for memory, so the
contract tests exercise one SQL text against both.

The rule for SQL in watchkeeper: SQL that reads or writes stored data (the workspace's
Parquet layers or DuckDB tables) lives in ``store/`` only. Elsewhere DuckDB may serve as a
pure compute engine: an in-memory ``duckdb.connect()`` over Arrow tables the caller
registered itself (the grid joins in ``detect``, anchorage learning); that takes no lock and
reads nothing stored. ``tests/store/test_store_sql_boundary.py`` enforces the rule.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import WorkspaceError
from watchkeeper.schema import IDENTITIES, POSITIONS, REJECTS
from watchkeeper.store.base import BBox, Overview

__all__ = ["INGEST_LOG", "LAYERS", "SqlStore"]

LAYERS = {"positions": POSITIONS, "identities": IDENTITIES}

INGEST_LOG = pa.schema(
    [
        ("ingest_id", pa.string()),
        ("file", pa.string()),
        ("sha256", pa.string()),
        ("size_bytes", pa.int64()),
        ("format", pa.string()),
        ("started", pa.timestamp("us", tz="UTC")),
        ("finished", pa.timestamp("us", tz="UTC")),
        ("n_positions", pa.int64()),
        ("n_identities", pa.int64()),
        ("n_rejects", pa.int64()),
        ("skipped", pa.string()),  # JSON {reason: count}
        ("rejects_by_reason", pa.string()),  # JSON {reason: count}
    ]
)
REJECTS_STORED = pa.schema([pa.field("ingest_id", pa.string()), *REJECTS])

INGEST_LOG_DDL = """
CREATE TABLE IF NOT EXISTS ingest_log (
    ingest_id VARCHAR PRIMARY KEY, file VARCHAR, sha256 VARCHAR, size_bytes BIGINT,
    format VARCHAR, started TIMESTAMPTZ, finished TIMESTAMPTZ, n_positions BIGINT,
    n_identities BIGINT, n_rejects BIGINT, skipped JSON, rejects_by_reason JSON
)"""
REJECTS_DDL = """
CREATE TABLE IF NOT EXISTS rejects (
    ingest_id VARCHAR, file VARCHAR, line BIGINT, reason VARCHAR, detail VARCHAR, raw VARCHAR
)"""

_IDENTITY_VARIANTS = """
SELECT mmsi, imo, name, callsign, ship_type, max(length_m) AS length_m,
    min(ts) AS first_ts, max(coalesce(ts_last, ts)) AS last_ts
FROM ({scan}) GROUP BY mmsi, imo, name, callsign, ship_type
"""
_NONEMPTY = "FILTER (WHERE {c} IS NOT NULL AND trim(CAST({c} AS VARCHAR)) <> '')"
_VESSEL_FACTS = f"""
WITH p AS (
    SELECT mmsi, min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS n_positions
    FROM ({{positions}}) GROUP BY mmsi
), i AS (
    SELECT mmsi, min(ts) AS i_first, max(coalesce(ts_last, ts)) AS i_last,
        arg_max(imo, ts) {_NONEMPTY.format(c="imo")} AS imo,
        arg_max(name, ts) {_NONEMPTY.format(c="name")} AS name,
        arg_max(callsign, ts) {_NONEMPTY.format(c="callsign")} AS callsign,
        arg_max(ship_type, ts) {_NONEMPTY.format(c="ship_type")} AS ship_type,
        list_sort(list(DISTINCT trim(name)) {_NONEMPTY.format(c="name")}) AS names,
        list_sort(list(DISTINCT imo) {_NONEMPTY.format(c="imo")}) AS imos,
        list_sort(list(DISTINCT trim(callsign)) {_NONEMPTY.format(c="callsign")}) AS callsigns
    FROM ({{identities}}) GROUP BY mmsi
)
SELECT coalesce(p.mmsi, i.mmsi) AS mmsi, i.imo, trim(i.name) AS name,
    trim(i.callsign) AS callsign, i.ship_type,
    least(p.first_seen, i.i_first) AS first_seen, greatest(p.last_seen, i.i_last) AS last_seen,
    coalesce(p.n_positions, 0) AS n_positions, i.names, i.imos, i.callsigns
FROM p FULL OUTER JOIN i ON p.mmsi = i.mmsi
ORDER BY mmsi
"""
_LAST_POSITIONS = """
SELECT mmsi, max(ts) AS ts, arg_max(lat, ts) AS lat, arg_max(lon, ts) AS lon,
    arg_max(sog_kn, ts) AS sog_kn, arg_max(cog_deg, ts) AS cog_deg
FROM ({scan}) WHERE ? IS NULL OR list_contains(?, mmsi) GROUP BY mmsi ORDER BY mmsi
"""
_LATEST_NAMES = """
SELECT mmsi, arg_max(trim(name), ts) FROM ({scan})
WHERE name IS NOT NULL AND trim(name) <> '' GROUP BY mmsi
"""
_OVERVIEW = """
SELECT (SELECT count(*) FROM ({positions})), (SELECT count(*) FROM ({identities})),
    (SELECT count(DISTINCT mmsi) FROM (SELECT mmsi FROM ({positions})
        UNION SELECT mmsi FROM ({identities}))),
    min(ts), max(ts), min(lon), min(lat), max(lon), max(lat)
FROM ({positions})
"""
_EVIDENCE = """
WITH w AS (SELECT * FROM _windows),
recs AS (
    SELECT w.event_no, w.event_id, '{layer}' AS layer, r.mmsi, r.ts, {cols}, r.source,
        r.line AS source_line, r.filename AS stored_file, r.file_row_number AS stored_row
    FROM ({scan}) r
    JOIN w ON r.mmsi = w.mmsi AND r.ts <= w.stop AND {last} >= w.start{only}
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY event_no, mmsi ORDER BY ts, stored_row) AS k,
        count(*) OVER (PARTITION BY event_no, mmsi) AS n
    FROM recs
)
SELECT ranked.*, l.file, l.sha256 FROM ranked
LEFT JOIN ingest_log l
  ON l.ingest_id = regexp_extract(ranked.stored_file, '([0-9a-f]+)(-[0-9]+)?\\.parquet$', 1)
WHERE k = 1 OR k = n OR (k - 1) % greatest(1, n // (? - 1)) = 0
ORDER BY event_no, mmsi, ts
"""
# Per layer: its columns, an extra join condition, and the time of its last report (an
# identity row is a run of reports from ts to ts_last: it is evidence when the run overlaps).
_EVIDENCE_COLS = {
    "positions": ("r.lat, r.lon, r.sog_kn, NULL::VARCHAR AS note", "", "r.ts"),
    "identities": (
        "NULL::DOUBLE AS lat, NULL::DOUBLE AS lon, NULL::FLOAT AS sog_kn, "
        "concat_ws(' ', 'name=' || trim(r.name), 'imo=' || r.imo, "
        "'callsign=' || trim(r.callsign), 'draught=' || r.draught_m, "
        "'reports=' || r.n_reports, 'until=' || strftime(r.ts_last, '%Y-%m-%dT%H:%M:%SZ')) AS note",
        " AND w.identity_evidence",
        "coalesce(r.ts_last, r.ts)",
    ),
}


def _empty_scan(layer: str, *, provenance: bool = False) -> str:
    """SQL for an empty relation with the columns of ``layer``."""
    cols = [f"CAST(NULL AS {duck_type(f.type)}) AS {f.name}" for f in LAYERS[layer]]
    if provenance:
        cols += ["CAST(NULL AS VARCHAR) AS filename", "CAST(NULL AS BIGINT) AS file_row_number"]
    return f"SELECT {', '.join(cols)} WHERE false"


def duck_type(t: pa.DataType) -> str:
    """The DuckDB type of an Arrow type of the canonical schemas."""
    mapping = {
        pa.int64(): "BIGINT",
        pa.int32(): "INTEGER",
        pa.int16(): "SMALLINT",
        pa.int8(): "TINYINT",
        pa.float64(): "DOUBLE",
        pa.float32(): "FLOAT",
        pa.string(): "VARCHAR",
    }
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ"
    return mapping.get(t, "VARCHAR")


def check_layer(layer: str) -> None:
    """Raise WorkspaceError unless ``layer`` is 'positions' or 'identities'."""
    if layer not in LAYERS:
        raise WorkspaceError(f"unknown layer {layer!r}; use positions or identities")


def check_table_name(name: str) -> None:
    """Derived table names are plain identifiers (they are spliced into SQL)."""
    if not name.isidentifier():
        raise WorkspaceError(f"invalid table name {name!r}")


def log_row(record: dict[str, Any]) -> dict[str, Any]:
    """An ingest log row: ``finished`` defaults to now, counts by reason as JSON text."""
    rec = dict(record)
    rec.setdefault("finished", datetime.now(UTC))
    for key in ("skipped", "rejects_by_reason"):
        rec[key] = json.dumps(rec.get(key, {}), sort_keys=True)
    unknown = set(rec) - set(INGEST_LOG.names)
    if unknown:
        raise WorkspaceError(f"ingest log has no column(s) {sorted(unknown)}")
    return rec


def _bbox_where(bbox: BBox) -> tuple[list[str], list[Any]]:
    x0, y0, x1, y1 = bbox
    lon = "(lon >= ? AND lon <= ?)" if x0 <= x1 else "(lon >= ? OR lon <= ?)"
    return ["lat >= ?", "lat <= ?", lon], [y0, y1, x0, x1]


#: MMSI group g of k (``part`` = (g, k)): the multiplicative hash of
#: :func:`watchkeeper.detect.plan.mmsi_group`, evaluated in the scan (the rows of other groups
#: are never materialised).
_PART_WHERE = "((mmsi::BIGINT * 2654435761) % 4294967296) % ? = ?"


class SqlStore:
    """Typed reads written once in SQL; subclasses supply :meth:`_scan` and :meth:`_reader`."""

    def _scan(
        self, layer: str, *, days: tuple[str, str] | None = None, provenance: bool = False
    ) -> str:
        """SQL for a relation over ``layer`` (only days lo..hi if given; with ``filename``
        and ``file_row_number`` columns if ``provenance``)."""
        raise NotImplementedError

    @contextlib.contextmanager
    def _reader(self, *, tables: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for reading; with ``tables`` the derived and bookkeeping tables
        (``ingest_log``, ``rejects``, ...) are readable on it too."""
        raise NotImplementedError
        yield  # pragma: no cover

    def read_table(self, name: str) -> pa.Table | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def write_table(self, name: str, table: pa.Table) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fetch(self, sql: str, params: Sequence[Any] = (), *, tables: bool = False) -> pa.Table:
        with self._reader(tables=tables) as con:
            return con.sql(sql, params=list(params)).to_arrow_table()

    # -- layers ---------------------------------------------------------------------------

    def positions(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        mmsis: Sequence[int] | None = None,
        columns: tuple[str, ...] | None = None,
        order: bool = False,
        bbox: BBox | None = None,
        part: tuple[int, int] | None = None,
    ) -> pa.Table:
        """Positions with ``start <= ts < end`` (of ``mmsis`` only, inside ``bbox`` and of
        MMSI group ``part`` = (g, k), if given), filtered inside DuckDB so that only the range
        is ever in memory; ``order`` sorts by (mmsi, ts) there (in parallel)."""
        return self._select("positions", start, end, mmsis, columns, order, bbox, part)

    def identities(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        mmsis: Sequence[int] | None = None,
        part: tuple[int, int] | None = None,
    ) -> pa.Table:
        """Identity reports with ``start <= ts < end`` (of ``mmsis`` only and of MMSI group
        ``part``, if given)."""
        return self._select("identities", start, end, mmsis, None, False, None, part)

    def _select(
        self,
        layer: str,
        start: datetime | None,
        end: datetime | None,
        mmsis: Sequence[int] | None,
        columns: tuple[str, ...] | None,
        order: bool,
        bbox: BBox | None,
        part: tuple[int, int] | None = None,
    ) -> pa.Table:
        schema = LAYERS[layer]
        names = list(columns) if columns else schema.names
        unknown = set(names) - set(schema.names)
        if unknown:
            raise WorkspaceError(f"{layer} has no column(s) {sorted(unknown)}")
        span = None
        if start is not None and end is not None:
            span = (start.date().isoformat(), end.date().isoformat())
        where, args = ["true"], list[Any]()
        if start is not None:
            where.append("ts >= ?")
            args.append(start)
        if end is not None:
            where.append("ts < ?")
            args.append(end)
        if mmsis is not None:
            where.append("list_contains(?, mmsi)")
            args.append([int(m) for m in mmsis])
        if bbox is not None:
            more, values = _bbox_where(bbox)
            where += more
            args += values
        if part is not None and part[1] > 1:
            where.append(_PART_WHERE)
            args += [part[1], part[0]]
        sql = (
            f"SELECT {', '.join(names)} FROM ({self._scan(layer, days=span)}) "
            f"WHERE {' AND '.join(where)}" + (" ORDER BY mmsi, ts" if order else "")
        )
        table = self._fetch(sql, args)
        return table.cast(pa.schema([schema.field(n) for n in names]))

    def read(self, layer: str, *, days: tuple[str, str] | None = None) -> pa.Table:
        """``positions`` or ``identities`` as one Arrow table (canonical schema)."""
        check_layer(layer)
        table = self._fetch(self._scan(layer, days=days))
        return table.select(LAYERS[layer].names).cast(LAYERS[layer])

    def position_batches(self, *, batch_rows: int = 200_000) -> Iterator[pa.RecordBatch]:
        """Every position in (ts, mmsi) order, streamed in batches of at most ``batch_rows``."""
        with self._reader() as con:
            rel = con.sql(f"SELECT * FROM ({self._scan('positions')}) ORDER BY ts, mmsi")
            for batch in rel.to_arrow_reader(batch_rows):
                table = pa.Table.from_batches([batch]).select(POSITIONS.names).cast(POSITIONS)
                yield from table.to_batches()

    def last_time(self, layer: str = "positions") -> datetime | None:
        """Time of the last row of ``layer`` (None when empty)."""
        check_layer(layer)
        value = self._fetch(f"SELECT max(ts) AS t FROM ({self._scan(layer)})")["t"][0]
        out = value.as_py()
        return out if isinstance(out, datetime) else None

    def first_after(self, mmsis: Sequence[int], t: datetime) -> dict[int, datetime]:
        """Each MMSI's first position time at or after ``t`` (MMSIs with none are absent)."""
        if not mmsis:
            return {}
        rows = self._fetch(
            f"SELECT mmsi, min(ts) AS t FROM ({self._scan('positions')}) "
            "WHERE ts >= ? AND list_contains(?, mmsi) GROUP BY mmsi",
            [t, [int(m) for m in mmsis]],
        ).to_pylist()
        return {int(r["mmsi"]): r["t"] for r in rows}

    def next_positions(
        self, mmsis: Sequence[int], t: datetime, columns: Sequence[str] | None = None
    ) -> pa.Table:
        """Each MMSI's first position at or after ``t`` (MMSIs with none are absent), by MMSI."""
        names = list(columns) if columns else LAYERS["positions"].names
        unknown = set(names) - set(LAYERS["positions"].names)
        if unknown:
            raise WorkspaceError(f"positions has no column(s) {sorted(unknown)}")
        cols = ", ".join(names)
        if not mmsis:
            return self._fetch(f"SELECT {cols} FROM ({self._scan('positions')}) WHERE false")
        return self._fetch(
            f"SELECT {cols} FROM ({self._scan('positions')}) "
            "WHERE ts >= ? AND list_contains(?, mmsi) "
            "QUALIFY row_number() OVER (PARTITION BY mmsi ORDER BY ts) = 1 ORDER BY mmsi",
            [t, [int(m) for m in mmsis]],
        )

    # -- summaries ------------------------------------------------------------------------

    def minute_counts(self) -> pa.Table:
        """Positions per UTC minute since 1970 (``m``, ``n``), ascending: the time profile."""
        sql = (
            f"SELECT epoch_ms(ts) // 60000 AS m, count(*) AS n FROM ({self._scan('positions')}) "
            "GROUP BY 1 ORDER BY 1"
        )
        return self._fetch(sql)

    def cell_counts(self, cell_deg: float) -> pa.Table:
        """Per cell of ``cell_deg`` degrees (south-west corner ``lat0``, ``lon0``): positions
        ``n``, distinct vessels ``v`` and distinct hours ``h``."""
        sql = (
            "SELECT floor(lat / $1) * $1 AS lat0, floor(lon / $1) * $1 AS lon0, count(*) AS n, "
            "count(DISTINCT mmsi) AS v, count(DISTINCT epoch_ms(ts) // 3600000) AS h "
            f"FROM ({self._scan('positions')}) WHERE lat IS NOT NULL AND lon IS NOT NULL "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        )
        return self._fetch(sql, [cell_deg])

    def mmsis(self) -> list[int]:
        """Distinct MMSIs that have positions, ascending."""
        sql = f"SELECT DISTINCT mmsi FROM ({self._scan('positions')}) ORDER BY mmsi"
        return [int(m) for m in self._fetch(sql)["mmsi"].to_pylist()]

    def last_positions(self, mmsis: Sequence[int] | None = None) -> pa.Table:
        """Per MMSI its latest position: ``mmsi, ts, lat, lon, sog_kn, cog_deg``."""
        ids = [int(m) for m in mmsis] if mmsis is not None else None
        sql = _LAST_POSITIONS.format(scan=self._scan("positions"))
        return self._fetch(sql, [ids, ids])

    def latest_names(self) -> dict[int, str]:
        """The latest non-blank broadcast name of every MMSI that has one."""
        rows = self._fetch(_LATEST_NAMES.format(scan=self._scan("identities")))
        return {int(m): str(n) for m, n in zip(*(c.to_pylist() for c in rows.columns), strict=True)}

    def identity_variants(self) -> pa.Table:
        """Distinct (mmsi, imo, name, callsign, ship_type) with length and first/last time."""
        return self._fetch(_IDENTITY_VARIANTS.format(scan=self._scan("identities")))

    def vessel_facts(self) -> pa.Table:
        """Per MMSI: latest identity, all names/IMOs/call signs, first/last seen, positions."""
        sql = _VESSEL_FACTS.format(
            positions=self._scan("positions"), identities=self._scan("identities")
        )
        return self._fetch(sql)

    def evidence(self, windows: pa.Table, *, per_event: int) -> list[dict[str, Any]]:
        """Stored records behind each event window, traced to file, row and source SHA-256."""
        out: list[dict[str, Any]] = []
        if windows.num_rows == 0:
            return out
        with self._reader(tables=True) as con:
            con.register("_windows", windows)
            for layer, (cols, only, last) in _EVIDENCE_COLS.items():
                scan = self._scan(layer, provenance=True)
                sql = _EVIDENCE.format(layer=layer, cols=cols, scan=scan, only=only, last=last)
                out += con.sql(sql, params=[per_event]).to_arrow_table().to_pylist()
            con.unregister("_windows")
        layer_order = {"positions": 0, "identities": 1}
        out.sort(key=lambda r: (r["event_no"], layer_order[r["layer"]], r["mmsi"], r["ts"]))
        return out

    def overview(self) -> Overview:
        """Counts, time span and extent of the layers."""
        sql = _OVERVIEW.format(
            positions=self._scan("positions"), identities=self._scan("identities")
        )
        row = [c[0].as_py() for c in self._fetch(sql).columns]
        n_pos, n_ids, n_mmsi, first, last, x0, y0, x1, y1 = row
        return Overview(
            positions=int(n_pos),
            identities=int(n_ids),
            vessels=int(n_mmsi),
            first=first,
            last=last,
            bbox=(x0, y0, x1, y1) if n_pos else None,
        )

    # -- events and vessels ---------------------------------------------------------------

    def events(
        self,
        *,
        types: Sequence[str] | None = None,
        mmsis: Sequence[int] | None = None,
        event_ids: Sequence[str] | None = None,
    ) -> pa.Table | None:
        """Stored events (None before detection ran), filtered by type, by MMSI (either
        side of a pair) and by event id; stored order kept."""
        table = self.read_table("events")
        if table is None:
            return None
        keep = pa.array([True] * table.num_rows, pa.bool_())
        if types is not None:
            keep = pc.and_(keep, pc.is_in(table["type"], pa.array(list(types), pa.string())))
        if event_ids is not None:
            ids = pa.array(list(event_ids), pa.string())
            keep = pc.and_(keep, pc.is_in(table["event_id"], ids))
        if mmsis is not None:
            ms = pa.array([int(m) for m in mmsis], pa.int64())
            either = pc.or_(
                pc.is_in(table["mmsi"], ms),
                pc.fill_null(pc.is_in(table["other_mmsi"], ms), False),
            )
            keep = pc.and_(keep, either)
        return table.filter(keep)

    def write_events(self, table: pa.Table) -> None:
        """Replace the events table."""
        self.write_table("events", table)

    def vessels(self) -> pa.Table | None:
        """The vessels table (None before it was built)."""
        return self.read_table("vessels")

    def write_vessels(self, table: pa.Table) -> None:
        """Replace the vessels table."""
        self.write_table("vessels", table)


def day_of(ms: int) -> str:
    """YYYY-MM-DD of a time in epoch milliseconds (UTC)."""
    return (date(1970, 1, 1) + timedelta(milliseconds=ms)).isoformat()

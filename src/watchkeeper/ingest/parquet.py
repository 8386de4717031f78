"""Parquet files in the canonical POSITIONS or IDENTITIES schema, cast and validated.

The layer is recognised by its columns (mmsi, ts, lat, lon: positions; mmsi, ts and an
identity field: identities). Static columns beside the positions (name, IMO, draught...) are
identity reports of their rows, as in a CSV. Missing optional columns become null, wider
or narrower types are cast, times without a zone are taken as UTC and strings as ISO 8601.
``_line`` is the 1-based row number; the ``raw`` of a rejected row is the row as JSON.

>>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
>>> path = tempfile.mktemp(suffix=".parquet")
>>> pq.write_table(pa.table({"mmsi": [366999999], "ts": ["2022-01-03T00:00:00"],
...                          "lat": [37.8], "lon": [-122.4]}), path)
>>> read_parquet(path).positions.num_rows
1
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.errors import FormatError
from watchkeeper.ingest.csv_rows import static_key
from watchkeeper.ingest.csv_values import parse_time, plausible_times
from watchkeeper.ingest.validate import make_rejects, validate_identities, validate_positions
from watchkeeper.schema import IDENTITIES, POSITIONS, REJECTS, TIMESTAMP, Decoded, RejectReason

__all__ = ["detect_layer", "iter_parquet", "read_parquet"]

_BATCH_ROWS = 100_000
_POSITION_KEYS = {"mmsi", "ts", "lat", "lon"}
_RANGE_CHECKED = {"heading_deg", "nav_status"}
_IDENTITY_KEYS = {"imo", "name", "callsign", "ship_type", "length_m", "beam_m", "draught_m"}


def detect_layer(names: list[str]) -> str:
    """'positions' or 'identities' from a file's column names; FormatError if neither."""
    cols = set(names)
    if cols >= _POSITION_KEYS:
        return "positions"
    if {"mmsi", "ts"} <= cols and cols & _IDENTITY_KEYS:
        return "identities"
    raise FormatError(
        f"Parquet columns {', '.join(names)} are neither positions (need mmsi, ts, lat, lon) "
        f"nor identities (need mmsi, ts and one of {', '.join(sorted(_IDENTITY_KEYS))})"
    )


def iter_parquet(
    path: str | os.PathLike[str], *, file: str | None = None, batch_rows: int = _BATCH_ROWS
) -> Iterator[Decoded]:
    """Decode a canonical Parquet file batch by batch (bounded memory)."""
    name = file or str(path)
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise FormatError(f"{name}: not a readable Parquet file: {exc}") from exc
    layer = detect_layer(pf.schema_arrow.names)
    schema = POSITIONS if layer == "positions" else IDENTITIES
    first = 1
    for batch in pf.iter_batches(batch_size=batch_rows):
        table = pa.Table.from_batches([batch])
        yield _decode(table, schema, name, first)
        first += table.num_rows


def read_parquet(path: str | os.PathLike[str], *, file: str | None = None) -> Decoded:
    """The whole file as one :class:`Decoded`."""
    return Decoded.concat(list(iter_parquet(path, file=file)))


def _decode(table: pa.Table, schema: pa.Schema, file: str, first: int) -> Decoded:
    n = table.num_rows
    cand, bad_ts = _candidate(table, schema, file)
    lines = np.arange(first, first + n, dtype=np.int64)
    cand = cand.append_column("_line", pa.array(lines))
    pre = _bad_times(table, lines, bad_ts, file)
    cand = cand.filter(pa.array(~bad_ts))
    if schema is POSITIONS:
        good, rejects = validate_positions(cand, file=file)
        decoded = Decoded(positions=good, identities=_identity_reports(table, bad_ts, file, first))
    else:
        good, rejects = validate_identities(cand, file=file)
        decoded = Decoded(identities=good)
    rejects = _with_raw(rejects, table, first)
    decoded.rejects = pa.concat_tables([pre, rejects]).sort_by("line")
    return decoded


def _identity_reports(table: pa.Table, bad_ts: np.ndarray, file: str, first: int) -> pa.Table:
    """The static columns of position rows (name, IMO, draught...) as identity reports, one per
    row that has any, as the CSV reader and NMEA static messages give them (docs/formats.md);
    the ingest joins them into runs. Their rejects (bad MMSI, no time) are the positions'."""
    if not set(table.column_names) & _IDENTITY_KEYS:
        return IDENTITIES.empty_table()
    cand, _ = _candidate(table, IDENTITIES, file)
    lines = np.arange(first, first + table.num_rows, dtype=np.int64)
    cand = cand.append_column("_line", pa.array(lines)).filter(pa.array(~bad_ts))
    cand = cand.filter(pc.is_valid(static_key(cand)))
    # a position row is no static message: its reports have no message type, as a CSV row's
    # (the type would also cut the runs where a vessel's position messages alternate 1 and 3)
    cand = cand.set_column(
        cand.schema.get_field_index("msg_type"), "msg_type", pa.nulls(cand.num_rows, pa.int8())
    )
    identities, _ = validate_identities(cand, file=file)
    return identities.filter(pc.is_valid(static_key(identities)))  # all fields were padding


def _candidate(table: pa.Table, schema: pa.Schema, file: str) -> tuple[pa.Table, np.ndarray]:
    """The schema's columns with raw values (nulls where absent), and rows with bad times."""
    n = table.num_rows
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    bad_ts = np.zeros(n, dtype=bool)
    for f in schema:
        if f.name not in table.column_names:
            cols[f.name] = _default(f, n, file)
        elif f.name == "ts":
            cols[f.name], bad_ts = _times(table.column("ts"), file)
        else:
            cols[f.name] = _cast(table.column(f.name), f, file)
    return pa.table(cols), bad_ts


def _default(f: pa.Field, n: int, file: str) -> pa.Array:
    if f.name == "source":
        return pa.array([Path(file).name] * n, pa.string())
    if f.name == "quality":
        return pa.array(np.zeros(n, dtype=np.int16))
    # validation fills nulls with NaN to range-check these: give it a float column
    return pa.nulls(n, pa.float64() if f.name in _RANGE_CHECKED else f.type)


def _cast(col: pa.ChunkedArray, f: pa.Field, file: str) -> pa.ChunkedArray:
    # an out-of-range heading or status would fail a safe cast; validation nulls and flags it
    target = pa.float64() if f.name in _RANGE_CHECKED else f.type
    try:
        return pc.cast(col, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise FormatError(f"{file}: column {f.name} ({col.type}) is not {f.type}: {exc}") from exc


def _times(col: pa.ChunkedArray, file: str) -> tuple[pa.Array, np.ndarray]:
    """Times as UTC ms: timestamps (naive = UTC) or ISO 8601 strings."""
    col = col.combine_chunks()
    if pa.types.is_timestamp(col.type):
        if col.type.tz is None:
            col = pc.assume_timezone(col, "UTC")
        return plausible_times(pc.cast(col, TIMESTAMP, safe=False), pc.is_valid(col))
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return parse_time(pc.cast(col, pa.string()))
    raise FormatError(f"{file}: column ts ({col.type}) is neither a timestamp nor ISO 8601 text")


def _bad_times(table: pa.Table, lines: np.ndarray, bad: np.ndarray, file: str) -> pa.Table:
    if not bad.any():
        return REJECTS.empty_table()
    rows = table.filter(pa.array(bad)).to_pylist()
    return make_rejects(
        file,
        lines[bad].tolist(),
        [RejectReason.BAD_TIMESTAMP.value] * len(rows),
        [json.dumps(r, default=str) for r in rows],
        [f"unparseable ts: {r['ts']!r}" for r in rows],
    )


def _with_raw(rejects: pa.Table, table: pa.Table, first: int) -> pa.Table:
    """Fill ``raw`` of rejected rows with the original row as JSON (only for those rows)."""
    if rejects.num_rows == 0:
        return rejects
    idx = pc.subtract(rejects.column("line"), first)
    rows = table.take(idx).to_pylist()
    raws = pa.array([json.dumps(r, default=str) for r in rows], pa.string())
    return rejects.set_column(rejects.schema.get_field_index("raw"), "raw", raws)

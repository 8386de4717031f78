"""Rows of text fields into a typed candidate table (positions and identity columns).

A numeric field that does not parse makes its row ``malformed_row`` (the detail names the
column and the value); a time that does not parse makes it ``bad_timestamp``. Everything
else is left to :mod:`watchkeeper.ingest.validate`, like every other reader.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest.csv_layout import CsvLayout
from watchkeeper.ingest.csv_values import (
    parse_float,
    parse_imo,
    parse_int,
    parse_text,
    parse_time,
    parse_time_format,
)
from watchkeeper.ingest.layouts import NAV_STATUS_CODES, SHIP_TYPE_CODES
from watchkeeper.ingest.validate import make_rejects
from watchkeeper.schema import IDENTITIES, POSITIONS, REJECTS, RejectReason

__all__ = ["STATIC_FIELDS", "RowBlock", "convert_rows", "split_lines_one_by_one", "static_key"]

#: Identity fields whose change makes a new identity row.
STATIC_FIELDS = (
    "imo",
    "name",
    "callsign",
    "ship_type",
    "length_m",
    "beam_m",
    "draught_m",
    "destination",
    "eta",
)

_Parser = Callable[[pa.Array], tuple[pa.Array, np.ndarray]]


@dataclass(frozen=True)
class RowBlock:
    """Parsed rows of one chunk: all fields as text, their line numbers and line text."""

    fields: pa.Table
    line: pa.Array
    raw: pa.Array


def _rounded(col: pa.Array) -> tuple[pa.Array, np.ndarray]:
    values, bad = parse_float(col)
    return pc.round(values), bad  # codes written as 157.0 or 157.4 mean 157


def _float32(col: pa.Array) -> tuple[pa.Array, np.ndarray]:
    values, bad = parse_float(col)
    return values.cast(pa.float32(), safe=False), bad


def _text(col: pa.Array) -> tuple[pa.Array, np.ndarray]:
    return parse_text(col), np.zeros(len(col), dtype=bool)


def _ais_class(col: pa.Array) -> tuple[pa.Array, np.ndarray]:
    text = pc.utf8_upper(parse_text(col))
    text = pc.replace_substring_regex(text, r"^CLASS\s*", "")  # aisdk: "Class A"
    ok = pc.is_in(text, pa.array(["A", "B"]))
    return pc.if_else(ok, text, pa.scalar(None, pa.string())), np.zeros(len(col), dtype=bool)


#: Words of free-text ship types (``Oil/Chemical Tanker``, ``Bulk Carrier``) and the ITU-R
#: M.1371 table 53 code of their kind, tried in this order when no exact name matches.
_TYPE_WORDS = (
    ("tanker", 80),
    ("cargo", 70),
    ("carrier", 70),
    ("container", 70),
    ("passenger", 60),
    ("ferry", 60),
    ("fishing", 30),
    ("tug", 52),
    ("pilot", 50),
    ("yacht", 37),
    ("pleasure", 37),
    ("sailing", 36),
    ("high speed", 40),
)


def _text_codes(
    col: pa.Array, codes: dict[str, int], words: tuple[tuple[str, int], ...] = ()
) -> pa.Array:
    """Codes of text values (case-insensitive), null where the text is unknown."""
    text = pc.utf8_lower(parse_text(col))
    names = pa.array(list(codes), pa.string())
    idx = pc.index_in(text, value_set=names)
    out = pc.take(pa.array(list(codes.values()), pa.int64()), idx)
    for word, code in words:
        hit = pc.and_(pc.is_null(out), pc.match_substring(text, word))
        out = pc.if_else(pc.fill_null(hit, False), code, out)
    return out


def _ship_type(col: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """AIS type codes; text types (``Tanker``) become their code, unknown text null.

    A type is context, not evidence of position: unknown text never rejects the row."""
    values, bad = parse_int(col, pa.int16())
    if not bad.any():
        return values, bad
    named = _text_codes(col, SHIP_TYPE_CODES, _TYPE_WORDS).cast(pa.int16())
    return pc.if_else(pa.array(bad), named, values), np.zeros(len(col), dtype=bool)


def _nav_status(col: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Status codes; text statuses (``At anchor``) become their code, unknown text null."""
    values, bad = _rounded(col)
    if not bad.any():
        return values, bad
    named = _text_codes(col, NAV_STATUS_CODES).cast(pa.float64())
    return pc.if_else(pa.array(bad), named, values), np.zeros(len(col), dtype=bool)


_PARSERS: dict[str, _Parser] = {
    "mmsi": lambda c: parse_int(c, pa.int64()),
    "ts": parse_time,
    "lat": parse_float,
    "lon": parse_float,
    "sog_kn": _float32,
    "cog_deg": _float32,
    "heading_deg": _rounded,
    "nav_status": _nav_status,
    "ais_class": _ais_class,
    "name": _text,
    "imo": parse_imo,
    "callsign": _text,
    "ship_type": _ship_type,
    "length_m": _float32,
    "beam_m": _float32,
    "draught_m": _float32,
    "destination": _text,
    "eta": _text,
}

_TYPES = {f.name: f.type for f in (*POSITIONS, *IDENTITIES)}
# validation fills nulls with NaN to range-check these: an absent column must be float
_TYPES |= {"heading_deg": pa.float64(), "nav_status": pa.float64()}


def convert_rows(
    rows: RowBlock, layout: CsvLayout, *, file: str, source: str
) -> tuple[pa.Table, pa.Table]:
    """A candidate table (positions and identity columns, ``_line``, ``_raw``) and rejects."""
    n = rows.fields.num_rows
    columns: dict[str, pa.Array] = {}
    bad: dict[str, np.ndarray] = {}
    for name, parser in _PARSERS.items():
        if name in layout.index:
            text = rows.fields.column(layout.index[name]).combine_chunks()
            if name == "ts" and layout.ts_format:
                columns[name], bad[name] = parse_time_format(text, layout.ts_format)
            else:
                columns[name], bad[name] = parser(text)
            if name in layout.extra or name in layout.factor:
                columns[name], bad[name] = _combined(rows, layout, name, columns[name], bad[name])
        else:
            columns[name] = pa.nulls(n, _TYPES[name])
    columns["msg_type"] = pa.nulls(n, pa.int8())  # CSV carries no message type
    columns["source"] = pa.array([source] * n, pa.string())
    columns["quality"] = pa.array(np.zeros(n, dtype=np.int16))
    columns["_line"] = rows.line
    columns["_raw"] = rows.raw
    cand = pa.table(columns)
    reason, detail = _row_problems(rows, layout, bad)
    rejected = reason != ""
    if not rejected.any():
        return cand, REJECTS.empty_table()
    lost = cand.filter(pa.array(rejected))
    rejects = make_rejects(
        file,
        lost.column("_line"),
        reason[rejected].tolist(),
        lost.column("_raw"),
        detail[rejected].tolist(),
    )
    return cand.filter(pa.array(~rejected)), rejects


def _combined(
    rows: RowBlock, layout: CsvLayout, name: str, values: pa.Array, bad: np.ndarray
) -> tuple[pa.Array, np.ndarray]:
    """A field summed over its extra columns (``A+B``) and scaled (``SPEED/10``)."""
    total = values.cast(pa.float64())
    for i in layout.extra.get(name, ()):
        more, more_bad = parse_float(rows.fields.column(i).combine_chunks())
        total = pc.add(total, more)
        bad = bad | more_bad
    total = pc.multiply(total, layout.factor.get(name, 1.0))
    if pa.types.is_integer(values.type):
        total = pc.round(total)
    return total.cast(values.type, safe=False), bad


def _row_problems(
    rows: RowBlock, layout: CsvLayout, bad: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the reject reason ('' if none) and a detail naming the bad field."""
    n = rows.fields.num_rows
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, None, dtype=object)
    for name in reversed([f for f in bad if f != "ts"]):  # the first bad column wins
        hit = bad[name]
        if hit.any():
            header = layout.header[layout.index[name]]
            values = rows.fields.column(layout.index[name]).to_numpy(zero_copy_only=False)
            reason[hit] = RejectReason.MALFORMED_ROW.value
            detail[hit] = [f"unparseable {header}: {v!r}" for v in values[hit]]
    ts_bad = bad.get("ts", np.zeros(n, dtype=bool)) & (reason == "")
    if ts_bad.any():
        header = layout.header[layout.index["ts"]]
        values = rows.fields.column(layout.index["ts"]).to_numpy(zero_copy_only=False)
        reason[ts_bad] = RejectReason.BAD_TIMESTAMP.value
        detail[ts_bad] = [f"unparseable {header}: {v!r}" for v in values[ts_bad]]
    return reason, detail


def static_key(identities: pa.Table) -> pa.Array:
    """One string per row standing for its static fields; null when it has none."""
    cols = [pc.cast(identities.column(f), pa.string()) for f in STATIC_FIELDS]
    key = pc.binary_join_element_wise(
        *cols, "\x1f", null_handling="replace", null_replacement="\x00"
    )
    present = pc.is_valid(cols[0])
    for col in cols[1:]:
        present = pc.or_(present, pc.is_valid(col))
    return pc.if_else(present, key, pa.scalar(None, pa.string()))


def split_lines_one_by_one(
    lines: list[str], delimiter: str, n_fields: int
) -> tuple[pa.Table, list[int]]:
    """Fields of each line parsed on its own (a quote never spans lines), and wrong-count rows.

    The slow path, for a chunk where a stray quote made the fast parser join lines.
    """
    rows: list[list[str]] = []
    invalid: list[int] = []
    for i, line in enumerate(lines):
        fields = next(csv.reader([line], delimiter=delimiter), [])
        if len(fields) == n_fields:
            rows.append(fields)
        else:
            invalid.append(i)
    columns = {f"f{j}": pa.array([r[j] for r in rows], pa.string()) for j in range(n_fields)}
    return pa.table(columns), invalid

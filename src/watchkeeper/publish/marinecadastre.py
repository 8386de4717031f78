"""Positions as MarineCadastre CSV: the exact 17-column header and conventions users know.

Conventions (NOAA MarineCadastre AIS data dictionary): ``BaseDateTime`` as
``2022-01-03T00:00:00`` UTC (whole seconds), ``IMO`` with its ``IMO`` prefix and 7 digits,
the AIS "not available" values MarineCadastre keeps for motion (SOG ``102.3``, COG ``360.0``,
Heading ``511``), an empty field for anything else unknown, no quotes unless a value needs
them. Each position row carries the vessel's static fields as known at its time (see
:mod:`watchkeeper.publish.asof`); ``Cargo`` stays empty (the canonical tables do not keep it).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest.csv_layout import MARINECADASTRE_HEADER
from watchkeeper.publish._sink import Sink, as_batches, open_sink
from watchkeeper.publish.asof import IdentityAsOf

__all__ = ["MARINECADASTRE_HEADER", "write_marinecadastre_csv"]

_STATIC = ["name", "imo", "callsign", "ship_type", "length_m", "beam_m", "draught_m"]
# ITU-R M.1371 "not available" values, which MarineCadastre files keep as they came
_NO_SOG, _NO_COG, _NO_HEADING = "102.3", "360.0", "511"
_NULL = pa.scalar(None, pa.string())


def write_marinecadastre_csv(
    positions: pa.Table | Iterable[pa.RecordBatch], identities: pa.Table, out: Sink
) -> int:
    """Write positions (a table or a stream of batches) as MarineCadastre CSV; rows written.

    ``out`` is a path (``.gz`` is compressed), ``-`` for stdout, or a binary stream.
    """
    lookup = IdentityAsOf(identities, _STATIC)
    rows = 0
    with open_sink(out) as stream:
        stream.write((",".join(MARINECADASTRE_HEADER) + "\n").encode())
        for batch in as_batches(positions):
            static = lookup.lookup(
                batch.column("mmsi").to_numpy(), pc.cast(batch.column("ts"), pa.int64())
            )
            lines = _lines(batch, static)
            stream.write(("\n".join(lines.to_pylist()) + "\n").encode("utf-8"))
            rows += batch.num_rows
    return rows


def _lines(batch: pa.RecordBatch, static: pa.Table) -> pa.Array:
    """One CSV line per row (without the newline)."""
    ts = pc.cast(batch.column("ts"), pa.timestamp("s", tz="UTC"), safe=False)
    heading = pc.cast(batch.column("heading_deg"), pa.string())
    fields = [
        pc.cast(batch.column("mmsi"), pa.string()),
        pc.strftime(ts, format="%Y-%m-%dT%H:%M:%S"),
        pc.cast(batch.column("lat"), pa.string()),
        pc.cast(batch.column("lon"), pa.string()),
        pc.fill_null(_decimal(batch.column("sog_kn")), _NO_SOG),
        pc.fill_null(_decimal(batch.column("cog_deg")), _NO_COG),
        pc.fill_null(heading, _NO_HEADING),
        _quoted(static.column("name")),
        _imo(static.column("imo")),
        _quoted(static.column("callsign")),
        pc.cast(static.column("ship_type"), pa.string()),
        pc.cast(batch.column("nav_status"), pa.string()),
        pc.cast(static.column("length_m"), pa.string()),
        pc.cast(static.column("beam_m"), pa.string()),
        _decimal(static.column("draught_m")),
        pa.nulls(batch.num_rows, pa.string()),  # Cargo: not kept in canonical tables
        _quoted(batch.column("ais_class")),
    ]
    return pc.binary_join_element_wise(*fields, ",", null_handling="replace", null_replacement="")


def _decimal(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Numbers with one decimal at least, as MarineCadastre writes speeds (``0.0``)."""
    text = pc.cast(col, pa.string())
    plain = pc.match_substring_regex(text, r"^-?\d+$")
    return pc.if_else(plain, pc.binary_join_element_wise(text, ".0", ""), text)


def _imo(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(col, pa.string()), 7, "0")
    return pc.binary_join_element_wise("IMO", digits, "")


def _quoted(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Text, quoted RFC 4180 style only when it holds a comma, quote or line break."""
    text = pc.cast(col, pa.string())
    needs = pc.match_substring_regex(text, '[,"\r\n]')
    escaped = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, escaped, text)

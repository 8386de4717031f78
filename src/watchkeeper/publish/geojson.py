"""Positions as an RFC 7946 GeoJSON FeatureCollection of Points, streamed batch by batch.

Coordinates are ``[lon, lat]`` (RFC 7946 §3.1.1), WGS84; the other columns become
properties, times as ISO 8601 UTC (``2022-01-03T00:00:00.000Z``). Single-precision columns
(speed, course) are written with the digits they were read with (``336.2``, not
``336.20001220703125``). Given ``identities``, each feature also carries the vessel's name,
IMO, call sign and ship type as known at its time (see :mod:`watchkeeper.publish.asof`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.publish._sink import Sink, as_batches, open_sink
from watchkeeper.publish.asof import IdentityAsOf

__all__ = ["write_geojson"]

_HEAD = b'{"type":"FeatureCollection","features":[\n'
_TAIL = b"\n]}\n"
_STATIC = ["name", "imo", "callsign", "ship_type"]


def write_geojson(
    positions: pa.Table | Iterable[pa.RecordBatch],
    out: Sink,
    *,
    identities: pa.Table | None = None,
) -> int:
    """Write positions (a table or a stream of batches) as GeoJSON; features written.

    ``out`` is a path (``.gz`` is compressed), ``-`` for stdout, or a binary stream.
    """
    lookup = IdentityAsOf(identities, _STATIC) if identities is not None else None
    n = 0
    with open_sink(out) as stream:
        stream.write(_HEAD)
        for batch in as_batches(positions):
            text = ",\n".join(_features(batch, lookup))
            stream.write(((",\n" if n else "") + text).encode("utf-8"))
            n += batch.num_rows
        stream.write(_TAIL)
    return n


def _properties(batch: pa.RecordBatch, lookup: IdentityAsOf | None) -> pa.Table:
    """The non-coordinate columns, JSON-ready: ISO times, float32 as their shortest decimal."""
    table = pa.Table.from_batches([batch]).drop_columns(["lat", "lon"])
    if lookup is not None:
        ts = pc.cast(batch.column("ts"), pa.int64()).to_numpy()
        static = lookup.lookup(batch.column("mmsi").to_numpy(), ts)
        for name in static.column_names:
            table = table.append_column(name, static.column(name))
    for i, f in enumerate(table.schema):
        col = table.column(i)
        if pa.types.is_timestamp(f.type):
            col = pc.strftime(
                pc.cast(col, pa.timestamp("ms", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ"
            )
        elif pa.types.is_float32(f.type):
            col = pc.cast(pc.cast(col, pa.string()), pa.float64())
        table = table.set_column(i, f.name, col)
    return table


def _features(batch: pa.RecordBatch, lookup: IdentityAsOf | None) -> list[str]:
    lats = batch.column("lat").to_pylist()
    lons = batch.column("lon").to_pylist()
    props = _properties(batch, lookup).to_pylist()
    return [
        json.dumps(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": p,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )
        for lat, lon, p in zip(lats, lons, props, strict=True)
    ]

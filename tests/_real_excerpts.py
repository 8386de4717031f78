"""Readers of the real excerpts in tests/data (provenance in tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv

from watchkeeper.context.reception import MAP_SCHEMA, ReceptionMap
from watchkeeper.schema import TIMESTAMP

DATA = Path(__file__).resolve().parent / "data"


def positions(name: str) -> pa.Table:
    """An excerpt of positions (mmsi, ts, lat, lon, sog_kn), sorted by (mmsi, ts)."""
    types = {
        "mmsi": pa.int64(),
        "ts": TIMESTAMP,
        "lat": pa.float64(),
        "lon": pa.float64(),
        "sog_kn": pa.float32(),
    }
    t = pcsv.read_csv(DATA / name, convert_options=pcsv.ConvertOptions(column_types=types))
    return t.sort_by([("mmsi", "ascending"), ("ts", "ascending")])


def reception(name: str, cell_deg: float = 0.25) -> ReceptionMap:
    """A stored reception map (:data:`MAP_SCHEMA` columns)."""
    opts = pcsv.ConvertOptions(column_types={f.name: f.type for f in MAP_SCHEMA})
    return ReceptionMap(cell_deg, pcsv.read_csv(DATA / name, convert_options=opts).cast(MAP_SCHEMA))

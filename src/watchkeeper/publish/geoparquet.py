"""GeoParquet 1.1: Parquet with a WKB ``geometry`` column and the ``geo`` file metadata.

Follows the GeoParquet 1.1.0 specification (geoparquet.org): geometries as ISO WKB in column
``geometry``; the ``geo`` key of the file metadata names it the primary column and gives its
encoding, geometry types and bounding box; the CRS is left out, which means OGC:CRS84
(longitude, latitude on WGS84), the CRS of every watchkeeper table. Each row also carries the
1.1 ``bbox`` covering column (a struct of ``xmin, ymin, xmax, ymax``) so that readers such as
DuckDB and GDAL can skip row groups by extent without decoding WKB. Rows without a position
get a null geometry, which the specification allows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from watchkeeper.errors import ConfigError
from watchkeeper.publish._sink import Sink, open_sink

__all__ = ["GEOPARQUET_VERSION", "geo_metadata", "with_geometry", "write_geoparquet"]

GEOPARQUET_VERSION = "1.1.0"
_BBOX = pa.struct([(k, pa.float64()) for k in ("xmin", "ymin", "xmax", "ymax")])


def _bbox_column(geoms: np.ndarray[Any, Any]) -> pa.Array:
    bounds = shapely.bounds(geoms)  # NaN rows for missing geometries
    missing = np.isnan(bounds[:, 0]) if len(geoms) else np.zeros(0, dtype=bool)
    arrays = [pa.array(bounds[:, i], pa.float64()) for i in range(4)]
    return pa.StructArray.from_arrays(arrays, fields=list(_BBOX), mask=pa.array(missing))


def geo_metadata(geoms: np.ndarray[Any, Any]) -> dict[str, Any]:
    """The ``geo`` metadata object for one geometry column named ``geometry``."""
    present = geoms[~shapely.is_missing(geoms)] if len(geoms) else geoms
    types = sorted({str(g.geom_type) for g in present})
    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": types,
        "covering": {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}},
    }
    if len(present):
        column["bbox"] = [float(v) for v in shapely.total_bounds(present)]
    return {
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {"geometry": column},
    }


def with_geometry(table: pa.Table, geoms: Sequence[Any] | np.ndarray[Any, Any]) -> pa.Table:
    """``table`` plus ``geometry`` (WKB) and ``bbox`` columns and the ``geo`` metadata."""
    arr = np.asarray(geoms, dtype=object)
    if len(arr) != table.num_rows:
        raise ConfigError(f"{len(arr)} geometries for {table.num_rows} rows")
    wkb = shapely.to_wkb(arr, flavor="iso") if len(arr) else np.zeros(0, dtype=object)
    out = table.append_column("geometry", pa.array(list(wkb), pa.binary()))
    out = out.append_column("bbox", _bbox_column(arr))
    meta = dict(out.schema.metadata or {})
    meta[b"geo"] = json.dumps(geo_metadata(arr)).encode()
    return out.replace_schema_metadata(meta)


def write_geoparquet(
    table: pa.Table, geoms: Sequence[Any] | np.ndarray[Any, Any], out: Sink
) -> int:
    """Write ``table`` with its geometries (shapely, None for none) as GeoParquet; rows written."""
    full = with_geometry(table, geoms)
    with open_sink(out) as stream:
        pq.write_table(full, stream, compression="zstd")
    return int(full.num_rows)

"""GeoParquet 1.1: the geo metadata, WKB geometries that round-trip, the bbox covering."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from publish_case import MAGUS

from watchkeeper import Workspace
from watchkeeper.publish.exports import vessels_with_position, write_tracks, write_vessels_geo
from watchkeeper.publish.geoparquet import write_geoparquet
from watchkeeper.publish.tracks import read_tracks


def _read(out: io.BytesIO) -> tuple[pa.Table, dict[str, object]]:
    table = pq.read_table(io.BytesIO(out.getvalue()))
    return table, json.loads(table.schema.metadata[b"geo"])


def test_vessels_points(case_ws: Workspace) -> None:
    vessels = case_ws.read_table("vessels")
    assert vessels is not None
    table = vessels_with_position(case_ws, vessels)
    out = io.BytesIO()
    write_vessels_geo(table, "geoparquet", out)
    back, geo = _read(out)
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    col = geo["columns"]["geometry"]  # type: ignore[index]
    assert col["encoding"] == "WKB" and col["geometry_types"] == ["Point"]
    geoms = shapely.from_wkb(back["geometry"].to_pylist())
    assert shapely.get_x(geoms[0]) == pytest.approx(table["lon"][0].as_py())
    assert shapely.get_y(geoms[0]) == pytest.approx(table["lat"][0].as_py())
    assert col["bbox"] == pytest.approx(list(shapely.total_bounds(geoms)))
    assert back["bbox"][0].as_py()["xmin"] == pytest.approx(table["lon"][0].as_py())
    assert back["mmsi"].to_pylist() == table["mmsi"].to_pylist()


def test_null_geometry_allowed(case_ws: Workspace) -> None:
    events = case_ws.read_table("events")
    assert events is not None
    out = io.BytesIO()
    write_geoparquet(
        events,
        [
            None if r["lat"] is None else shapely.Point(r["lon"], r["lat"])
            for r in events.to_pylist()
        ],
        out,
    )
    back, _ = _read(out)
    assert back["geometry"].null_count == 1 and back["bbox"].null_count == 1


def test_tracks_lines_with_times(case_ws: Workspace) -> None:
    tracks = read_tracks(case_ws, mmsis=[MAGUS])
    out = io.BytesIO()
    write_tracks(tracks, "geoparquet", out)
    back, geo = _read(out)
    assert geo["columns"]["geometry"]["geometry_types"] == ["LineString"]  # type: ignore[index]
    line = shapely.from_wkb(back["geometry"][0].as_py())
    assert shapely.get_num_points(line) == len(back["coord_times"][0].as_py()) == tracks[0].n_points

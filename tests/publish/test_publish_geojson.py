"""GeoJSON writer: an RFC 7946 FeatureCollection of Points, lon before lat, ISO UTC times."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from shapely.geometry import shape

from watchkeeper.ingest.csv import read_csv
from watchkeeper.publish import write_geojson
from watchkeeper.schema import POSITIONS, Decoded

NOAA = "csv/noaa/AIS_2022_01_03_first99999.csv.gz"


@pytest.fixture(scope="module")
def noaa(shared_data: Path) -> Decoded:
    return read_csv(shared_data / NOAA)


def _geojson(positions: pa.Table | list[pa.RecordBatch]) -> dict[str, Any]:
    out = io.BytesIO()
    write_geojson(positions, out)
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


def test_feature_collection_of_points(noaa: Decoded) -> None:
    sample = noaa.positions.slice(0, 3000)
    doc = _geojson(sample.to_batches(max_chunksize=700))
    assert doc["type"] == "FeatureCollection"
    features = doc["features"]
    assert len(features) == sample.num_rows
    for feat, row in zip(features, sample.to_pylist(), strict=True):
        assert feat["type"] == "Feature"
        point = shape(feat["geometry"])
        assert (point.x, point.y) == (row["lon"], row["lat"])  # RFC 7946: lon, lat
        assert feat["properties"]["mmsi"] == row["mmsi"]


def test_properties_are_readable(noaa: Decoded) -> None:
    doc = _geojson(noaa.positions.slice(1, 1))
    props = doc["features"][0]["properties"]
    assert set(props) == set(POSITIONS.names) - {"lat", "lon"}
    assert props["ts"] == "2022-01-03T00:00:00.000Z"
    assert datetime.fromisoformat(props["ts"]) == datetime(2022, 1, 3, tzinfo=UTC)
    assert props["cog_deg"] == 336.2  # float32 written with the digits it was read with


def test_empty_is_a_valid_collection() -> None:
    assert _geojson(POSITIONS.empty_table()) == {"type": "FeatureCollection", "features": []}


def test_writes_to_a_gzip_path(noaa: Decoded, tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "p.geojson.gz"
    assert write_geojson(noaa.positions.slice(0, 10), path) == 10
    with gzip.open(path, "rt") as f:
        assert len(json.load(f)["features"]) == 10


def test_identities_add_the_vessel_as_known_at_the_time(noaa: Decoded) -> None:
    magus = noaa.positions.filter(pc.equal(noaa.positions.column("mmsi"), 374208000))
    out = io.BytesIO()
    write_geojson(magus, out, identities=noaa.identities)
    props = [f["properties"] for f in json.loads(out.getvalue())["features"]]
    assert len(props) == magus.num_rows > 0
    assert {(p["name"], p["imo"], p["callsign"], p["ship_type"]) for p in props} == {
        ("MAGUS", 9018464, "3EUM7", 80)
    }

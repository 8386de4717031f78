"""Tracks: split at gaps, GeoJSON LineStrings with one coordTime per coordinate (round trip)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pyarrow as pa
import pytest
from publish_case import MAGUS
from shapely.geometry import shape

from watchkeeper import Workspace
from watchkeeper.errors import ConfigError
from watchkeeper.publish.tracks import TrackParams, build_tracks, read_tracks, track_features
from watchkeeper.publish.tracks import write_tracks_geojson as write
from watchkeeper.schema import POSITIONS

# RFC 7946 Feature with a line geometry, plus the coordTimes convention (togeojson)
TRACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"const": "Feature"},
                    "geometry": {
                        "type": "object",
                        "properties": {
                            "type": {
                                "enum": ["LineString", "MultiLineString", "Point", "MultiPoint"]
                            }
                        },
                    },
                    "properties": {"type": "object", "required": ["mmsi", "coordTimes"]},
                },
            },
        },
    },
}


def _positions(points: list[tuple[int, float, float, float]]) -> pa.Table:
    """A track from (minutes, lat, lon, sog) offsets of one MMSI, builder style."""
    t0 = datetime(2024, 3, 4, tzinfo=UTC).timestamp() * 1000
    return pa.table(
        {
            "mmsi": [1] * len(points),
            "ts": pa.array([int(t0 + m * 60_000) for m, *_ in points]).cast(
                POSITIONS.field("ts").type
            ),
            "lat": [p[1] for p in points],
            "lon": [p[2] for p in points],
            "sog_kn": pa.array([p[3] for p in points], pa.float32()),
        }
    )


def test_split_at_gaps_and_thin() -> None:
    pos = _positions(
        [
            (0, 30.0, 120.0, 10),
            (10, 30.1, 120.0, 10),
            (500, 30.2, 120.0, 9),
            (510, 30.3, 120.0, 8),
            (520, 30.4, 120.0, 7),
        ]
    )
    (track,) = build_tracks(pos, TrackParams(split_gap_h=6.0))
    assert [len(s.t_ms) for s in track.segments] == [2, 3]
    (thin,) = build_tracks(pos, TrackParams(split_gap_h=100.0, max_points=3))
    assert thin.n_points == 3 and thin.segments[0].lat[-1] == pytest.approx(30.4)


def test_params_validated() -> None:
    with pytest.raises(ConfigError):
        TrackParams(split_gap_h=0)


def test_a_position_alone_between_gaps_is_no_one_point_line() -> None:
    # heard once between two gaps (RFC 7946: a LineString has two positions or more)
    pos = _positions([(0, 30.0, 120.0, 1), (10, 30.1, 120.1, 1), (600, 31.0, 121.0, 1)])
    (feat,) = track_features(build_tracks(pos))
    assert feat["geometry"]["type"] == "LineString"
    assert feat["properties"]["single_positions"] == [[121.0, 31.0, "2024-03-04T10:00:00Z"]]
    shape(feat["geometry"])  # shapely refuses a one-point LineString
    (alone,) = track_features(build_tracks(_positions([(0, 30.0, 120.0, 1)])))
    assert alone["geometry"] == {"type": "Point", "coordinates": [120.0, 30.0]}
    assert alone["properties"]["coordTimes"] == "2024-03-04T00:00:00Z"


def test_multilinestring_across_gap_keeps_times() -> None:
    pos = _positions(
        [(0, 30.0, 120.0, 1), (10, 30.1, 120.1, 1), (600, 31.0, 121.0, 1), (610, 31.1, 121.1, 1)]
    )
    (feat,) = track_features(build_tracks(pos))
    assert feat["geometry"]["type"] == "MultiLineString"
    assert [len(t) for t in feat["properties"]["coordTimes"]] == [2, 2]
    assert feat["properties"]["coordTimes"][1][0] == "2024-03-04T10:00:00Z"


def test_geojson_round_trip(case_ws: Workspace) -> None:
    tracks = read_tracks(case_ws, mmsis=[MAGUS, 368085790])
    out = io.BytesIO()
    assert write(tracks, out, names={MAGUS: "MAGUS"}) == 2
    doc = json.loads(out.getvalue())
    jsonschema.validate(doc, TRACK_SCHEMA)
    stored = case_ws.read("positions").filter(pa.compute.equal(pa.compute.field("mmsi"), MAGUS))
    feat = next(f for f in doc["features"] if f["properties"]["mmsi"] == MAGUS)
    line = shape(feat["geometry"])
    assert line.is_valid and feat["properties"]["name"] == "MAGUS"
    coords = feat["geometry"]["coordinates"]
    times = feat["properties"]["coordTimes"]
    assert len(coords) == len(times) == stored.num_rows
    stored = stored.sort_by("ts")
    assert coords[0] == [stored["lon"][0].as_py(), stored["lat"][0].as_py()]  # lon first
    back = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times]
    assert back == stored["ts"].to_pylist()

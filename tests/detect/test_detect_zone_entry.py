"""Zone entries into built-in and user zones; a track starting inside is no entry."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from watchkeeper.context.zones import builtin_zones, load_geojson_zones
from watchkeeper.detect.zone_entry import detect_zone_entries
from watchkeeper.tracks import clean, segment
from watchkeeper.tracks.build import concat, track


def _tracks(*t: pa.Table) -> pa.Table:
    return segment(clean(concat(*t))).sort_by([("track_id", "ascending"), ("ts", "ascending")])


def test_entry_into_the_wonsan_hotspot() -> None:
    # sail west from 128.6 E at 39.25 N into the 40 km circle off Wonsan (centre 127.65 E)
    t = track(1, "2024-01-01T22:00", 39.25, 128.6, [(i * 10, -i * 3704.0, 0) for i in range(30)])
    rows = detect_zone_entries(_tracks(t), builtin_zones()).to_pylist()
    zones = [z for r in rows for z in json.loads(r["details"])["zones"]]
    assert "sts_wonsan" in zones
    assert all(r["mmsi"] == 1 for r in rows)


def test_user_geojson_zone_across_the_antimeridian_and_start_inside(tmp_path: Path) -> None:
    feats = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "box", "risk": 70},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[-179.9, 9], [-179, 9], [-179, 11], [-179.9, 11], [-179.9, 9]]
                    ],
                },
            }
        ],
    }
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps(feats))
    zones = load_geojson_zones(path)
    entering = track(1, "2024-01-01", 10.0, 179.8, [(i * 10, i * 3704.0, 0) for i in range(20)])
    inside = track(2, "2024-01-01", 10.0, -179.5, [(i * 10, i * 100.0, 0) for i in range(5)])
    rows = detect_zone_entries(_tracks(entering, inside), zones).to_pylist()
    assert [r["mmsi"] for r in rows] == [1]
    assert rows[0]["risk"] == 70.0


def test_cli_detect_with_user_zones(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from watchkeeper import Workspace
    from watchkeeper.cli import app

    ws = Workspace(tmp_path / "ws")
    w = ws.writer("positions", "t")
    w.write(track(7, "2024-01-01", 10.0, 150.0, [(i * 10, i * 3704.0, 0) for i in range(20)]))
    w.close()
    box = [[[150.1, 9.9], [150.5, 9.9], [150.5, 10.1], [150.1, 10.1], [150.1, 9.9]]]
    geo = {
        "type": "Feature",
        "properties": {"name": "mine"},
        "geometry": {"type": "Polygon", "coordinates": box},
    }
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps(geo))
    res = CliRunner().invoke(app, ["detect", "-w", str(ws.path), "--zones", str(path)])
    assert res.exit_code == 0, res.output
    stored = ws.read_table("events")
    assert stored is not None
    kinds = stored.column("type").to_pylist()
    assert kinds.count("zone_entry") == 1


def test_a_window_of_a_longer_run_returns_stays_that_start_inside_as_continuations() -> None:
    """In a day window the stay of a vessel already inside continues an entry an earlier
    window saw; the stitcher extends that entry with it (tests/detect/test_detect_plan.py)."""
    inside = track(2, "2024-01-01", 39.25, 127.65, [(i * 10, i * 100.0, 0) for i in range(5)])
    assert detect_zone_entries(_tracks(inside), builtin_zones()).num_rows == 0
    rows = detect_zone_entries(_tracks(inside), builtin_zones(), continued=True).to_pylist()
    assert rows and all(json.loads(r["details"])["continued"] for r in rows)

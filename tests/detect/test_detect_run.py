"""Detect over a workspace: idempotent, CLI, and the NOAA sample gives no encounter in port."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from watchkeeper import Workspace
from watchkeeper.cli import app
from watchkeeper.context.ports import PlaceIndex, searoute_ports
from watchkeeper.detect import DetectParams, detect_all, detect_workspace
from watchkeeper.errors import ConfigError
from watchkeeper.schema import POSITIONS
from watchkeeper.tracks.build import concat, stationary, track


def _fill(ws: Workspace) -> None:
    t = concat(
        stationary(1, "2024-01-01T22:00", 30.0, 150.0, hours=4),
        stationary(2, "2024-01-01T22:00", 30.001, 150.0, hours=4),
        track(3, "2024-01-01T10:00", 20.0, 140.0, [(0, 0, 0), (10, 0, 0), (60 * 20, 0, 0)]),
    )
    w = ws.writer("positions", "test")
    w.write(t)
    w.close()


def test_detect_is_idempotent_and_finds_the_midnight_encounter(workspace: Workspace) -> None:
    _fill(workspace)
    first = detect_workspace(workspace)
    second = detect_workspace(workspace)
    assert first.column("event_id").to_pylist() == second.column("event_id").to_pylist()
    kinds = first.column("type").to_pylist()
    assert kinds.count("encounter") == 1 and "ais_gap" in kinds
    stored = workspace.read_table("events")
    assert stored is not None and stored.num_rows == first.num_rows


def test_cli_detect_events_export(workspace: Workspace, tmp_path: Path) -> None:
    _fill(workspace)
    runner = CliRunner()
    w = str(workspace.path)
    assert runner.invoke(app, ["detect", "-w", w]).exit_code == 0
    assert "1 events" in runner.invoke(app, ["events", "-w", w, "--type", "encounter"]).output
    for fmt in ("csv", "geojson", "parquet"):
        out = tmp_path / f"e.{fmt}"
        res = runner.invoke(app, ["export", "events", "-w", w, "--format", fmt, "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert out.stat().st_size > 0
    assert "2024-01-01T22:00:00Z" in (tmp_path / "e.csv").read_text()


def _noaa(shared_data: Path) -> pa.Table:
    path = shared_data / "csv" / "noaa" / "AIS_2022_01_03_first99999.csv.gz"
    with gzip.open(path) as fh:
        fh.read(1)
    con = duckdb.connect()
    try:
        t = con.sql(
            "SELECT MMSI::BIGINT AS mmsi, (BaseDateTime::TIMESTAMP AT TIME ZONE 'UTC') AS ts, "
            "LAT::DOUBLE AS lat, LON::DOUBLE AS lon, SOG::FLOAT AS sog_kn "
            f"FROM read_csv('{path.as_posix()}', header=true, all_varchar=true)"
        ).to_arrow_table()
    finally:
        con.close()
    n = t.num_rows
    return pa.table(
        {
            "mmsi": t.column("mmsi"),
            "ts": t.column("ts").cast(POSITIONS.field("ts").type),
            "lat": t.column("lat"),
            "lon": t.column("lon"),
            "sog_kn": t.column("sog_kn"),
            "cog_deg": pa.nulls(n, pa.float32()),
            "heading_deg": pa.nulls(n, pa.int16()),
            "nav_status": pa.nulls(n, pa.int8()),
            "msg_type": pa.nulls(n, pa.int8()),
            "ais_class": pa.nulls(n, pa.string()),
            "source": pa.nulls(n, pa.string()),
            "quality": pa.nulls(n, pa.int16()),
            "line": pa.nulls(n, pa.int64()),
        },
        schema=POSITIONS,
    )


def test_noaa_sample_gives_no_encounter_inside_a_port(shared_data: Path) -> None:
    ev = detect_all(_noaa(shared_data))
    enc = ev.filter(pa.compute.equal(ev.column("type"), "encounter"))
    if enc.num_rows:
        near = PlaceIndex(searoute_ports()).within(
            enc.column("lat").to_numpy(), enc.column("lon").to_numpy(), 10.0
        )
        assert not near.any()


def _write(ws: Workspace, *tables: pa.Table) -> None:
    w = ws.writer("positions", "long")
    w.write(concat(*tables))
    w.close()


def test_runs_longer_than_the_halos_are_stitched_whole_across_midnight(
    workspace: Workspace,
) -> None:
    # 20 h side by side from 14:00 to 10:00 next day: longer than both 3 h halos together
    a = stationary(1, "2024-01-01T14:00", 30.0, 150.0, hours=20)
    b = stationary(2, "2024-01-01T14:00", 30.001, 150.0, hours=20)
    _write(workspace, a, b)
    ev = detect_workspace(workspace, params=DetectParams(window_positions=1)).to_pylist()
    for kind in ("encounter", "loitering"):
        rows = [r for r in ev if r["type"] == kind]
        assert len(rows) == (1 if kind == "encounter" else 2)
        for r in rows:
            assert (r["start"].day, r["start"].hour) == (1, 14)
            assert (r["end"].day, r["end"].hour) in {(2, 9), (2, 10)}


def test_a_gap_starting_late_in_the_day_is_found_once(workspace: Workspace) -> None:
    # silent from 22:00 to 06:00: longer than the 6 h threshold, across both halos
    steps = [(m, 0.0, 0.0) for m in range(0, 60 * 14, 10)]
    before = track(5, "2024-01-01T08:00", 20.0, 140.0, steps)
    after = track(5, "2024-01-02T06:00", 20.0, 140.0, steps)
    _write(workspace, before, after)
    one_day = DetectParams(window_positions=1)  # each day its own window
    gaps = [
        r for r in detect_workspace(workspace, params=one_day).to_pylist() if r["type"] == "ais_gap"
    ]
    assert len(gaps) == 1
    assert gaps[0]["end"] is not None and gaps[0]["end"].hour == 6


def test_halos_must_cover_the_gap_threshold() -> None:
    with pytest.raises(ConfigError):
        DetectParams(pre_halo_h=2.0, post_halo_h=2.0)

"""The ingest, info and export commands as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from watchkeeper.cli import app, main

runner = CliRunner()


def test_ingest_info_export(shared_data: Path, tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    result = runner.invoke(app, ["ingest", str(shared_data / "nmea/libais/test.aivdm"), "-w", ws])
    assert result.exit_code == 0, result.output
    assert "test.aivdm" in result.output
    result = runner.invoke(app, ["info", "-w", ws, "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    # 28 valid position reports, one (line 190) the copy of line 188 by another receiver 1 s
    # later: stored once, counted as a duplicate. 15 static reports in 14 runs: HAWK's two
    # identical type 19 reports (366943250) are one run of 2.
    assert info["positions"] == 27 and info["identities"] == 14
    assert info["skipped"]["duplicate"] == 1
    assert sum(info["rejects"].values()) == 13
    out = tmp_path / "p.geojson"
    result = runner.invoke(
        app, ["export", "positions", "-w", ws, "--format", "geojson", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text())["features"]) == 27


def test_untimed_file_tells_the_user_what_to_do(shared_data: Path, tmp_path: Path) -> None:
    path = str(shared_data / "nmea/pyais/nmea_data_sample.txt")
    result = runner.invoke(app, ["ingest", path, "-w", str(tmp_path / "ws")])
    assert result.exit_code == 1  # every sentence rejected (no_timestamp)
    assert "--time" in result.output


def test_errors_exit_1_with_a_message(
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(shared_data / "nmea/pyais/nmea_data_sample.txt")
    monkeypatch.setattr(
        "sys.argv", ["watchkeeper", "ingest", path, "-w", str(tmp_path / "w"), "--strict"]
    )
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 1
    assert "no_timestamp" in capsys.readouterr().err


def test_bad_time_option_is_a_usage_error(shared_data: Path, tmp_path: Path) -> None:
    path = str(shared_data / "nmea/libais/tagblock.nmea")
    result = runner.invoke(app, ["ingest", path, "-w", str(tmp_path / "w"), "--time", "yesterday"])
    assert result.exit_code != 0

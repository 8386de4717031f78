"""The simulate and evaluate commands, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from watchkeeper.cli import app
from watchkeeper.simulate.evaluate import load_truth, truth_as_results
from watchkeeper.store.workspace import Workspace

runner = CliRunner()


def test_simulate_then_evaluate(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    res = runner.invoke(app, ["simulate", "--seed", "5", "--scale", "0.1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    for name in ("traffic.nmea", "traffic.csv", "sanctions.ftm.json", "truth.json", "ports.csv"):
        assert (out / name).stat().st_size > 0
    ws = tmp_path / "ws"
    Workspace(ws)  # an empty workspace: evaluate reads, it does not create one
    res = runner.invoke(
        app, ["evaluate", "--truth", str(out / "truth.json"), "-w", str(ws), "--json"]
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["events"]["encounter"]["recall"] == 0.0
    events, vessels = truth_as_results(load_truth(out / "truth.json"))
    Workspace(ws).write_table("events", events)
    Workspace(ws).write_table("vessels", vessels)
    res = runner.invoke(app, ["evaluate", "--truth", str(out / "truth.json"), "-w", str(ws)])
    assert res.exit_code == 0, res.output
    assert "precision@k" in res.output and "1.00" in res.output


def test_unknown_scenario_is_an_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", "--scenario", "baltic", "-o", str(tmp_path)])
    assert res.exit_code != 0

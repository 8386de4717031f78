"""``watchkeeper info`` on a real excerpt: the coverage and its warnings."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from watchkeeper.cli import app

EXCERPT = Path(__file__).resolve().parents[1] / "data" / "noaa_2022_01_03_excerpt.csv.gz"
runner = CliRunner()


def test_info_warns_on_a_lopsided_sample(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["ingest", str(EXCERPT), "-w", ws]).exit_code == 0
    result = runner.invoke(app, ["info", "-w", ws])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "WARNING short sample" in text and "WARNING lopsided sample" in text
    assert "region 25N-30N 95W-90W" in text
    result = runner.invoke(app, ["info", "-w", ws, "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    cov = info["coverage"]
    assert info["positions"] == cov["positions"] == sum(cov["per_hour"].values())
    assert cov["short"] and cov["lopsided"] and len(cov["warnings"]) == 2
    assert cov["regions"][0]["positions"] >= cov["regions"][-1]["positions"]

"""Provider files through the CLI and the Python API: kept rows, exit codes, --replace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from watchkeeper.cli import app
from watchkeeper.errors import ConfigError
from watchkeeper.ingest import ingest_files
from watchkeeper.store.workspace import Workspace

DATA = Path(__file__).resolve().parents[1] / "data"
runner = CliRunner()
AIS_FORMAT = "aishub_ais_format_2022_01_03.csv"  # AISHub format=0: 1/10000 minute, tenths
AIS_FORMAT_COLUMNS = "lat=LATITUDE/600000,lon=LONGITUDE/600000,sog_kn=SOG/10,cog_deg=COG/10"


def test_provider_files_keep_99_percent(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    files = {
        "marinetraffic_export_2022_01_03.csv": 600,
        "gfw_416000000_tracks.jsonl.gz": 1668,
        "aishub_2022_01_03.csv": 600,
        "aishub_2022_01_03.json": 300,
        "aisdk_2022_01_03.csv": 300,
    }
    result = runner.invoke(app, ["ingest", *(str(DATA / f) for f in files), "-w", ws])
    assert result.exit_code == 0, result.output
    log = Workspace(ws, read_only=True).ingest_log().to_pylist()
    # a report heard twice is kept once (the GFW track holds 118 such repeats)
    kept = {
        Path(r["file"]).name: r["n_positions"] + json.loads(r["skipped"]).get("duplicate", 0)
        for r in log
    }
    for name, rows in files.items():
        assert kept[name] >= 0.99 * rows, name


def test_python_api_with_a_forced_layout(tmp_path: Path) -> None:
    copy = tmp_path / "export.txt"  # a name that says nothing: the header decides
    shutil.copy(DATA / "marinetraffic_export_2022_01_03.csv", copy)
    [summary] = ingest_files([copy], tmp_path / "ws", layout="marinetraffic")
    assert summary.positions == 600 and not summary.all_rejected


def test_wholly_rejected_file_exits_1_then_replace_fixes_it(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    path = str(DATA / AIS_FORMAT)
    result = runner.invoke(app, ["ingest", path, "-w", ws])
    assert result.exit_code == 1
    assert "all 200 records rejected (position_out_of_range 200)" in result.stderr
    assert "line 2: position_out_of_range" in result.stderr  # one example line
    assert "538007737,1641168302,-54420402" in result.stderr
    rerun = runner.invoke(app, ["ingest", path, "-w", ws, "--columns", AIS_FORMAT_COLUMNS])
    assert rerun.exit_code == 0 and "already" in rerun.stdout  # the table wraps the note
    fixed = runner.invoke(
        app, ["ingest", path, "-w", ws, "--columns", AIS_FORMAT_COLUMNS, "--replace"]
    )
    assert fixed.exit_code == 0, fixed.output
    assert "(replaced)" in fixed.stdout
    store = Workspace(ws, read_only=True)
    assert store.count("positions") == 200
    assert store.rejects().num_rows == 0  # the earlier rejects went with the earlier ingest
    [entry] = store.ingest_log().to_pylist()
    assert entry["n_positions"] == 200 and entry["n_rejects"] == 0


def test_replace_does_not_duplicate(tmp_path: Path) -> None:
    path = DATA / "aishub_2022_01_03.csv"
    ingest_files([path], tmp_path / "ws")
    [again] = ingest_files([path], tmp_path / "ws", replace=True)
    assert again.replaced and again.positions == 600
    ws = Workspace(tmp_path / "ws", read_only=True)
    assert ws.count("positions") == 600 and ws.ingest_log().num_rows == 1


def test_layouts_are_listed_and_unknown_ones_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["layouts"])
    assert result.exit_code == 0
    for name in ("marinecadastre", "marinetraffic", "spire", "exactearth", "aishub", "aisdk"):
        assert name in result.stdout
    same = runner.invoke(app, ["ingest", "--list-layouts"])
    assert same.exit_code == 0 and same.stdout == result.stdout
    bad = runner.invoke(
        app, ["ingest", str(DATA / AIS_FORMAT), "-w", str(tmp_path / "w"), "--layout", "nope"]
    )
    assert bad.exit_code != 0
    assert isinstance(bad.exception, ConfigError) and "unknown layout" in str(bad.exception)

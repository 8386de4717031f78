"""The Dask engine gives the local engine's events, table for table, on a simulated workspace
(two days, one window per day: the context is merged from two workers' parts and the runs
cut at midnight are stitched from two workers' windows), through the API and the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_detect_digests import SMALL, table_digest

from watchkeeper import Workspace
from watchkeeper.cli import main
from watchkeeper.detect import DetectParams, detect_workspace
from watchkeeper.detect.dask_engine import dask_client, detect_workspace_dask
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import ScenarioConfig

SEED = 1


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated seed loaded into a workspace (as in test_detect_digests)."""
    root = tmp_path_factory.mktemp("dask")
    simulate(ScenarioConfig(seed=SEED, days=2.0, traffic=SMALL), root / "sim")
    ws = Workspace(root / "ws")
    for layer in ("positions", "identities"):
        w = ws.writer(layer, "sim")
        w.write(pq.read_table(root / "sim" / "truth" / f"{layer}.parquet"))
        w.close()
    return root


def _params(root: Path) -> DetectParams:
    """Ports of the scenario; one window per day (a window's budget of one position)."""
    return DetectParams(port_files=(str(root / "sim" / "ports.csv"),), window_positions=1)


@pytest.fixture(scope="module")
def local(scenario: Path) -> dict[str, pa.Table]:
    """The local engine's events and stored context."""
    ws = Workspace(scenario / "ws", create=False)
    events = detect_workspace(ws, params=_params(scenario))
    return _stored(ws) | {"returned": events}


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """A local cluster of two threaded workers (no process start-up: CI stays fast)."""
    with dask_client(workers=2, processes=False) as c:
        yield c


def _stored(ws: Workspace) -> dict[str, pa.Table]:
    out = {}
    for name in ("events", "detect_places", "detect_zones"):
        table = ws.read_table(name)
        assert table is not None, name
        out[name] = table
    return out


def _copy(root: Path, tmp_path: Path) -> Workspace:
    """A fresh copy of the scenario's workspace, its tables dropped (so a run must write)."""
    shutil.copytree(root / "ws", tmp_path / "ws")
    (tmp_path / "ws" / "watchkeeper.duckdb").unlink(missing_ok=True)
    return Workspace(tmp_path / "ws", create=False)


def test_two_days_make_two_windows(scenario: Path) -> None:
    assert len(Workspace(scenario / "ws", create=False).day_counts()) == 2


def test_dask_gives_the_local_events_and_context(
    scenario: Path, local: dict[str, pa.Table], client: object, tmp_path: Path
) -> None:
    ws = _copy(scenario, tmp_path)
    events = detect_workspace_dask(ws, client, params=_params(scenario))  # type: ignore[arg-type]
    assert events.num_rows > 100  # the scenario's events, not an empty run
    assert table_digest(events) == table_digest(local["returned"])
    stored = _stored(ws)
    for name in ("events", "detect_places"):
        assert table_digest(stored[name]) == table_digest(local[name]), name
    assert stored["detect_zones"].equals(local["detect_zones"])


def test_an_empty_workspace_gives_no_events(client: object, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "empty")
    events = detect_workspace_dask(ws, client, params=DetectParams())  # type: ignore[arg-type]
    assert events.num_rows == 0
    assert ws.read_table("events") is not None


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.argv", ["watchkeeper", *args])
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def test_cli_runs_on_a_scheduler(
    scenario: Path,
    local: dict[str, pa.Table],
    client: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = _copy(scenario, tmp_path)
    address = client.scheduler.address  # type: ignore[attr-defined]
    ports = str(scenario / "sim" / "ports.csv")
    params = tmp_path / "day.toml"
    params.write_text("window_positions = 1\n", "utf-8")
    args = ["detect", "-w", str(ws.path), "--ports", ports, "--params", str(params)]
    assert _cli([*args, "--engine", "dask", "--scheduler", address], monkeypatch) == 0
    assert table_digest(_stored(ws)["events"]) == table_digest(local["events"])


@pytest.mark.slow
def test_cli_starts_a_local_cluster_of_processes(
    scenario: Path, local: dict[str, pa.Table], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _copy(scenario, tmp_path)
    params = tmp_path / "day.toml"
    params.write_text("window_positions = 1\n", "utf-8")
    args = ["detect", "-w", str(ws.path), "--ports", str(scenario / "sim" / "ports.csv")]
    args += ["--params", str(params), "--engine", "dask", "--workers", "2"]
    assert _cli(args, monkeypatch) == 0
    assert table_digest(_stored(ws)["events"]) == table_digest(local["events"])


@pytest.mark.parametrize(
    "extra",
    [["--scheduler", "tcp://127.0.0.1:8786"], ["--workers", "2"], ["--engine", "spark"]],
    ids=["scheduler-without-dask", "workers-without-dask", "unknown-engine"],
)
def test_engine_options_are_checked(
    extra: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Workspace(tmp_path / "ws")
    assert _cli(["detect", "-w", str(tmp_path / "ws"), *extra], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "usage error" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_dask_gives_the_local_events_on_the_real_day(
    shared_data: Path, client: object, tmp_path: Path
) -> None:
    """The NOAA day of 2020-01-01 (1.42 M positions, three US coasts; one window)."""
    from watchkeeper import ingest_files

    ws = Workspace(tmp_path / "real")
    ingest_files([shared_data / "csv" / "noaa-2020-01-01"], ws)
    params = DetectParams(port_files=(str(shared_data / "ports" / "wpi" / "WPI_ports.csv"),))
    local_events = detect_workspace(ws, params=params)
    dask_events = detect_workspace_dask(ws, client, params=params)  # type: ignore[arg-type]
    assert local_events.num_rows > 100
    assert table_digest(dask_events) == table_digest(local_events)

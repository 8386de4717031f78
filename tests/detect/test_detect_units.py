"""A window split in units of work (MMSI groups for the detectors of one vessel, spatial tiles
for encounters, one dark-STS pass over the groups' gaps) gives the events of the same window
held whole: on both simulated seeds, as one window and as day windows, locally and on Dask,
and on the real NOAA day (slow; skipped without ../shared/data)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_detect_digests import SMALL, table_digest

import watchkeeper.detect.run as run_module
from watchkeeper import Workspace
from watchkeeper.cli import main
from watchkeeper.detect import DetectParams, detect_workspace
from watchkeeper.detect.dask_engine import dask_client, detect_workspace_dask
from watchkeeper.detect.plan import Tile, in_core, make_plan, make_tiles, mmsi_group, parts_of
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import ScenarioConfig

#: About 20,000 positions a day in the small scenario: 7 MMSI groups a day, ~10 tiles.
UNIT = 3_000


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Both seeds of the digest test loaded into workspaces."""
    out = {}
    for seed in (1, 2):
        root = tmp_path_factory.mktemp(f"units{seed}")
        simulate(ScenarioConfig(seed=seed, days=2.0, traffic=SMALL), root / "sim")
        ws = Workspace(root / "ws")
        for layer in ("positions", "identities"):
            w = ws.writer(layer, "sim")
            w.write(pq.read_table(root / "sim" / "truth" / f"{layer}.parquet"))
            w.close()
        out[seed] = root
    return out


def _params(root: Path, **kw: int) -> DetectParams:
    return DetectParams(port_files=(str(root / "sim" / "ports.csv"),), **kw)  # type: ignore[arg-type]


@pytest.fixture
def tiles_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of tiles of each split window (the runner's make_tiles, counted)."""
    counts: list[int] = []

    def counted(*args: Any, **kw: Any) -> list[Tile]:
        tiles = make_tiles(*args, **kw)
        counts.append(len(tiles))
        return tiles

    monkeypatch.setattr(run_module, "make_tiles", counted)
    return counts


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("days", [False, True], ids=["one-window", "day-windows"])
def test_split_windows_give_the_whole_windows_events(
    seeds: dict[int, Path], seed: int, days: bool, tiles_made: list[int]
) -> None:
    root = seeds[seed]
    ws = Workspace(root / "ws", create=False)
    windows = {"window_positions": 1} if days else {}
    whole = detect_workspace(ws, params=_params(root, **windows))
    split = _params(root, unit_positions=UNIT, **windows)
    plan = make_plan(ws.day_counts(), ws.last_time(), split)
    assert len(plan.windows) == (2 if days else 1)
    assert all(w.parts > 1 for w in plan.windows)
    events = detect_workspace(ws, params=split)
    assert tiles_made and all(n > 1 for n in tiles_made)  # encounters were found tile by tile
    kinds = set(events.column("type").to_pylist())
    assert {"encounter", "ais_gap", "loitering"} <= kinds
    assert seed != 1 or "dark_sts" in kinds
    assert table_digest(events) == table_digest(whole)


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """A local cluster of two threaded workers."""
    with dask_client(workers=2, processes=False) as c:
        yield c


def test_dask_runs_the_same_units(seeds: dict[int, Path], client: object) -> None:
    root = seeds[1]
    ws = Workspace(root / "ws", create=False)
    whole = detect_workspace(ws, params=_params(root, window_positions=1))
    split = _params(root, window_positions=1, unit_positions=UNIT)
    events = detect_workspace_dask(ws, client, params=split)  # type: ignore[arg-type]
    assert table_digest(events) == table_digest(whole)
    assert not any((root / "ws" / ".detect-scratch").iterdir())  # the spill is removed


def test_cli_takes_the_unit_budget(
    seeds: dict[int, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = seeds[2]
    shutil.copytree(root / "ws", tmp_path / "ws")
    whole = detect_workspace(Workspace(root / "ws", create=False), params=_params(root))
    args = ["detect", "-w", str(tmp_path / "ws"), "--ports", str(root / "sim" / "ports.csv")]
    monkeypatch.setattr("sys.argv", ["watchkeeper", *args, "--unit-positions", str(UNIT)])
    try:
        main()
    except SystemExit as exc:  # a usage or run error; success returns
        raise AssertionError(f"exit {exc.code}") from exc
    stored = Workspace(tmp_path / "ws", create=False).read_table("events")
    assert stored is not None and table_digest(stored) == table_digest(whole)


def test_store_groups_are_the_plans_groups(seeds: dict[int, Path]) -> None:
    """The store's ``part`` filter selects the MMSIs of :func:`mmsi_group`, and the groups
    together are every position once."""
    ws = Workspace(seeds[1] / "ws", create=False)
    everything = ws.positions(columns=("mmsi",))
    k = 5
    sizes = 0
    for g in range(k):
        mmsi = ws.positions(columns=("mmsi",), part=(g, k)).column("mmsi").to_numpy()
        assert mmsi.size and bool(np.all(mmsi_group(mmsi, k) == g))
        sizes += mmsi.size
        ids = ws.identities(part=(g, k)).column("mmsi").to_numpy()
        assert bool(np.all(mmsi_group(ids.astype(np.int64), k) == g))
    assert sizes == everything.num_rows


def test_parts_hold_the_budget() -> None:
    assert parts_of(0, 10) == 1
    assert parts_of(10, 10) == 1
    assert parts_of(11, 10) == 2
    assert parts_of(20_000_000, 2_000_000) == 10


def test_tile_cores_partition_the_points_and_hold_the_budget() -> None:
    rng = np.random.default_rng(7)
    lat = np.concatenate([rng.uniform(-90, 90, 5_000), rng.normal(30, 0.3, 5_000)])
    lon = np.concatenate([rng.uniform(-180, 180, 5_000), rng.normal(-80, 0.3, 5_000)])
    lat, lon = np.clip(lat, -90, 90), np.clip(lon, -180, 180)
    cells = pa.table(
        {"cy": np.floor(lat / 0.25).astype(np.int64), "cx": np.floor(lon / 0.25).astype(np.int64)}
    )
    agg = cells.group_by(["cy", "cx"]).aggregate([("cy", "count")])
    cy, cx, n = (agg.column(i).to_numpy() for i in range(3))
    tiles = make_tiles(cy, cx, n, 1_000, 500.0)
    assert len(tiles) > 10
    owners = np.zeros(len(lat), dtype=np.int64)
    for t in tiles:
        inside = in_core(lat, lon, t)
        owners += inside
        single_cell = t.north - t.south <= 0.25 and t.east - t.west <= 0.25
        assert single_cell or int(inside.sum()) <= 1_000
    assert bool(np.all(owners == 1))  # every point in exactly one core


def test_a_tile_reads_its_halo() -> None:
    tile = Tile(10.0, 11.0, 20.0, 21.0, 1_110.0)
    ((s, n, w, e),) = tile.read_boxes()
    assert s == pytest.approx(9.99) and n == pytest.approx(11.01)
    assert w < 19.99 and e > 21.01  # a degree of longitude is shorter than one of latitude
    edge = Tile(0.0, 1.0, 179.5, 180.001, 50_000.0)
    assert len(edge.read_boxes()) == 2  # across the antimeridian
    world = Tile(-90.0, 90.001, -180.0, 180.001, 500.0)
    assert world.read_boxes() == [(-90.0, 90.0, -180.0, 180.0)]


@pytest.mark.slow
def test_split_window_gives_the_whole_windows_events_on_the_real_day(
    shared_data: Path, tmp_path: Path
) -> None:
    """The NOAA day of 2020-01-01 (1.42 M positions, three US coasts) in 4 MMSI groups."""
    from watchkeeper import ingest_files

    ws = Workspace(tmp_path / "real")
    ingest_files([shared_data / "csv" / "noaa-2020-01-01"], ws)
    ports = (str(shared_data / "ports" / "wpi" / "WPI_ports.csv"),)
    whole = detect_workspace(ws, params=DetectParams(port_files=ports))
    split = DetectParams(port_files=ports, unit_positions=400_000)
    assert make_plan(ws.day_counts(), ws.last_time(), split).windows[0].parts == 4
    events = detect_workspace(ws, params=split)
    assert whole.num_rows > 100
    assert table_digest(events) == table_digest(whole)


def test_track_ranges_hold_the_budget() -> None:
    """The pairs are run by ranges of track ids: each within the budget (a big track alone),
    every track in exactly one range."""
    a = np.array([10, 11, 12, 20, 30, 31], dtype=np.int64)
    rows = np.array([3, 3, 3, 10, 1, 1], dtype=np.int64)
    assert run_module._ranges(a, rows, 6) == [(10, 11), (12, 12), (20, 20), (30, 31)]
    assert run_module._ranges(a, rows, 100) == [(10, 31)]

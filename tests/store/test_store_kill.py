"""kill -9 at random points: readers see the state before or after, never a part, and a
rerun gives the clean counts (ingest of a multi-day file, detect, export, lists add)."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from _faults import kill_after, multi_day_csv, run_python, state, timed
from watchkeeper.ingest.pipeline import ingest_files

INGEST = (
    "import sys; from watchkeeper.ingest.pipeline import ingest_files; "
    "ingest_files([sys.argv[1]], sys.argv[2])"
)

#: Trials per kill test: >= 20 in the slow run (WATCHKEEPER_KILL_TRIALS overrides), 3 in CI.
FULL_TRIALS = int(os.environ.get("WATCHKEEPER_KILL_TRIALS", "20"))


@pytest.fixture(scope="module")
def two_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A one-day file ingested first (the 'before' state) and a six-day file to kill."""
    folder = tmp_path_factory.mktemp("kill")
    first = multi_day_csv(folder / "first.csv", rows=2_000, days=1, seed=1)
    big = multi_day_csv(folder / "big.csv", rows=240_000, days=6, seed=2)
    return first, big


def _kill_ingest(tmp_path: Path, files: tuple[Path, Path], trials: int) -> list[str]:
    first, big = files
    base = tmp_path / "base"
    ingest_files([first], base)
    clean = tmp_path / "clean"
    shutil.copytree(base, clean)
    duration = timed(INGEST, str(big), str(clean))
    before, after = state(base), state(clean)
    assert after.positions > before.positions and after.days == 6
    rng = random.Random(15)
    outcomes = []
    for trial in range(trials):
        ws = tmp_path / f"t{trial}"
        shutil.copytree(base, ws)
        proc = run_python(INGEST, str(big), str(ws))
        killed = kill_after(proc, rng.uniform(0.0, duration * 1.1))
        seen = state(ws)
        assert seen in (before, after), (trial, seen)
        outcomes.append("killed" if killed else "finished")
        ingest_files([big], ws)  # the rerun rolls back the dead ingest and redoes it
        assert state(ws) == after, trial
        assert not list(ws.glob("*/day=*/*.partial")), trial
        shutil.rmtree(ws)
    return outcomes


def test_kill_during_ingest_ci(tmp_path: Path, two_files: tuple[Path, Path]) -> None:
    outcomes = _kill_ingest(tmp_path, two_files, trials=3)
    assert len(outcomes) == 3


@pytest.mark.slow
@pytest.mark.reliability
def test_kill_during_ingest_many_trials(tmp_path: Path, two_files: tuple[Path, Path]) -> None:
    outcomes = _kill_ingest(tmp_path, two_files, trials=FULL_TRIALS)
    assert outcomes.count("killed") >= FULL_TRIALS // 2, outcomes


DETECT = (
    "import sys; from watchkeeper import Workspace; "
    "from watchkeeper.detect.run import detect_workspace; detect_workspace(Workspace(sys.argv[1]))"
)
EXPORT = (
    "import sys; from watchkeeper import Workspace; "
    "from watchkeeper.publish.exports import export_events; "
    "export_events(Workspace(sys.argv[1], read_only=True), 'geojson', sys.argv[2])"
)


def _tables(ws_path: Path) -> tuple[int | None, int | None]:
    from watchkeeper import Workspace

    ws = Workspace(ws_path, read_only=True)
    events, zones = ws.read_table("events"), ws.read_table("detect_zones")
    return (None if events is None else events.num_rows, None if zones is None else zones.num_rows)


def _kill_detect_and_export(tmp_path: Path, trials: int) -> None:
    data = multi_day_csv(tmp_path / "d.csv", rows=6_000, days=2, seed=3)
    base = tmp_path / "base"
    ingest_files([data], base)
    done = tmp_path / "done"
    shutil.copytree(base, done)
    duration = timed(DETECT, str(done))
    before, after = _tables(base), _tables(done)
    assert before[0] is None and after[0] is not None
    out = tmp_path / "events.geojson"
    export_s = timed(EXPORT, str(done), str(out))
    good = out.read_bytes()
    rng = random.Random(16)
    for trial in range(trials):
        ws = tmp_path / f"t{trial}"
        shutil.copytree(base, ws)
        kill_after(run_python(DETECT, str(ws)), rng.uniform(0.0, duration * 1.1))
        assert _tables(ws) in (before, after), trial
        shutil.rmtree(ws)
        out.write_bytes(b"previous export\n")
        kill_after(run_python(EXPORT, str(done), str(out)), rng.uniform(0.0, export_s * 1.1))
        assert out.read_bytes() in (b"previous export\n", good), trial


def test_kill_detect_and_export_ci(tmp_path: Path) -> None:
    _kill_detect_and_export(tmp_path, trials=1)


@pytest.mark.slow
@pytest.mark.reliability
def test_kill_detect_and_export_many_trials(tmp_path: Path) -> None:
    _kill_detect_and_export(tmp_path, trials=FULL_TRIALS)


LISTS_ADD = (
    "import sys; from watchkeeper import Workspace; "
    "from watchkeeper.context.sanctions import add_list, read_list; "
    "add_list(Workspace(sys.argv[1]), read_list(sys.argv[2]))"
)


def _lists(ws_path: Path) -> tuple[int, ...]:
    from watchkeeper import Workspace

    ws = Workspace(ws_path, read_only=True)
    names = ("list_versions", "list_entities_history", "list_entities")
    return tuple(-1 if (t := ws.read_table(n)) is None else t.num_rows for n in names)


def _kill_lists_add(tmp_path: Path, trials: int) -> None:
    from watchkeeper.context.sanctions import add_list, read_list
    from watchkeeper.simulate.generate import simulate
    from watchkeeper.simulate.scenario import ScenarioConfig, TrafficConfig
    from watchkeeper.store import Workspace

    tiny = TrafficConfig(n_cargo=2, n_tanker=2, n_fishing=1, n_pair_trawl=0, n_reefer=0, n_bunker=0)
    lists = []
    for seed in (1, 2):  # two list versions: the second is added while being killed
        simulate(ScenarioConfig(seed=seed, days=2.0, traffic=tiny), tmp_path / f"sim{seed}")
        lists.append(tmp_path / f"sim{seed}" / "sanctions.ftm.json")
    base = tmp_path / "base"
    add_list(Workspace(base), read_list(lists[0]))
    done = tmp_path / "done"
    shutil.copytree(base, done)
    duration = timed(LISTS_ADD, str(done), str(lists[1]))
    before, after = _lists(base), _lists(done)
    assert before != after
    rng = random.Random(23)
    for trial in range(trials):
        ws = tmp_path / f"t{trial}"
        shutil.copytree(base, ws)
        kill_after(run_python(LISTS_ADD, str(ws), str(lists[1])), rng.uniform(0.0, duration * 1.1))
        assert _lists(ws) in (before, after), trial
        shutil.rmtree(ws)


def test_kill_lists_add_ci(tmp_path: Path) -> None:
    _kill_lists_add(tmp_path, trials=2)


@pytest.mark.slow
@pytest.mark.reliability
def test_kill_lists_add_many_trials(tmp_path: Path) -> None:
    _kill_lists_add(tmp_path, trials=FULL_TRIALS)

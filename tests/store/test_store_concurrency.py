"""Concurrency: readers loop while an ingest runs; two ingests at once; the same file twice.
Every process finishes, readers see whole ingests only, and the counts are the clean ones."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from _faults import multi_day_csv, run_python, state
from watchkeeper import Workspace
from watchkeeper.ingest.pipeline import ingest_files
from watchkeeper.publish.positions import export_positions

INGEST = (
    "import sys; from watchkeeper.ingest.pipeline import ingest_files; "
    "ingest_files(sys.argv[2:], sys.argv[1])"
)
#: Rounds of each two-process test: 2 in CI, 10 in `make reliability`.
ROUNDS = int(os.environ.get("WATCHKEEPER_CONCURRENCY_ROUNDS", "2"))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("conc")
    return (
        multi_day_csv(folder / "a.csv", rows=60_000, days=4, seed=11),
        multi_day_csv(folder / "b.csv", rows=60_000, days=4, seed=12),
    )


def _finish(proc: object) -> None:
    import subprocess

    assert isinstance(proc, subprocess.Popen)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()


def _clean(tmp_path: Path, *paths: Path) -> object:
    ws = tmp_path / "clean"
    ingest_files(list(paths), ws)
    seen = state(ws)
    shutil.rmtree(ws)
    return seen


def test_readers_loop_while_an_ingest_runs(tmp_path: Path, files: tuple[Path, Path]) -> None:
    a, _ = files
    after = _clean(tmp_path, a)
    ws = tmp_path / "ws"
    Workspace(ws)
    before = state(ws)
    proc = run_python(INGEST, str(ws), str(a))
    looks = 0
    while proc.poll() is None:
        assert _settled(ws) in (before, after)
        reader = Workspace(ws, read_only=True)
        assert reader.events() is None
        with (tmp_path / "out.csv").open("wb") as out:
            n = export_positions(reader, out)
        assert n in (before.positions, after.positions)  # type: ignore[attr-defined]
        looks += 1
    _finish(proc)
    assert state(ws) == after and looks >= 1


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_two_ingests_at_once(tmp_path: Path, files: tuple[Path, Path], round_no: int) -> None:
    a, b = files
    both = _clean(tmp_path, a, b)
    ws = tmp_path / "ws"
    first = run_python(INGEST, str(ws), str(a))
    second = run_python(INGEST, str(ws), str(b))
    _finish(first)
    _finish(second)
    assert state(ws) == both


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_the_same_file_twice_at_once(
    tmp_path: Path, files: tuple[Path, Path], round_no: int
) -> None:
    a, _ = files
    once = _clean(tmp_path, a)
    ws = tmp_path / "ws"
    first = run_python(INGEST, str(ws), str(a))
    second = run_python(INGEST, str(ws), str(a))
    _finish(first)
    _finish(second)
    assert state(ws) == once


def _settled(ws: Path) -> object:
    """The workspace's state read until two reads in a row agree: the counts, the log and
    the rejects are separate reads, and an ingest committing between two of them would mix
    the states (each read alone sees before or after)."""
    last = state(ws)
    while (now := state(ws)) != last:
        last = now
    return now

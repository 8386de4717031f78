"""Batches never cut a multi-sentence message: tiny batches store what one ingest stores."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from live_helpers import positions

from watchkeeper.ingest.pipeline import ingest_file
from watchkeeper.live.batch import frame_batch
from watchkeeper.live.watch import Watcher, WatchParams
from watchkeeper.store.workspace import Workspace


def _head(path: Path, n: int) -> bytes:
    with path.open("rb") as f:
        return b"".join(next(f) for _ in range(n))


def test_the_first_part_of_a_message_is_held_for_the_next_batch(live_sim: Path) -> None:
    lines = _head(live_sim / "traffic.nmea", 2).decode().splitlines()
    assert ",2,1," in lines[0] and ",2,2," in lines[1]  # the scenario opens with a type 5
    one = frame_batch(pa.array(lines[:1], pa.large_string()), first_line=1, file="wal")
    assert one.n_lines == 0
    both = frame_batch(pa.array(lines, pa.large_string()), first_line=1, file="wal")
    assert both.n_lines == 2 and both.chunk.frames.num_rows == 1
    first = pa.array(lines[:1], pa.large_string())
    final = frame_batch(first, first_line=1, file="wal", final=True)
    assert final.n_lines == 1 and final.chunk.rejects.num_rows == 1  # broken, as at a file's end


def test_tiny_batches_store_what_one_ingest_stores(live_sim: Path, tmp_path: Path) -> None:
    data = _head(live_sim / "traffic.nmea", 3_000)
    # 7 lines a batch: hundreds of boundaries, many inside a two-sentence type 5
    watcher = Watcher(tmp_path / "ws", WatchParams(batch_lines=7, detect=False))
    lines = data.splitlines(keepends=True)
    for k in range(0, len(lines), 13):  # whole lines, as a feed hands them over
        watcher.sink(b"".join(lines[k : k + 13]))
    watcher.catch_up()
    while watcher.step(final=True):
        pass
    watcher.close()
    assert watcher.counts["batches"] > 300
    file = tmp_path / "lines.nmea"
    file.write_bytes((tmp_path / "ws" / "live" / "wal.nmea").read_bytes())
    clean = Workspace(tmp_path / "clean")
    ingest_file(clean, file)
    live = Workspace(tmp_path / "ws")
    assert positions(live).equals(positions(clean))
    reports = [pc.sum(w.identities().column("n_reports")).as_py() for w in (live, clean)]
    assert reports[0] == reports[1] > 0


def test_a_drain_stops_at_what_the_log_held_so_detection_gets_its_turn(
    live_sim: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _head(live_sim / "traffic.nmea", 400).splitlines(keepends=True)
    watcher = Watcher(tmp_path / "ws", WatchParams(batch_lines=20, detect=False))
    watcher.sink(b"".join(lines[:200]))
    held = watcher.wal.end
    arriving = iter(lines[200:])
    step = watcher.step

    def step_on_a_steady_feed(*, final: bool = False) -> bool:
        watcher.sink(next(arriving, b""))  # a line arrives during every commit
        return step(final=final)

    monkeypatch.setattr(watcher, "step", step_on_a_steady_feed)
    watcher._drain()
    watcher.close()
    # 200 lines held, 20 a batch: ten batches (an eleventh takes what arrived meanwhile), not
    # one per arriving line until the feed pauses
    assert watcher.checkpoint.offset >= held and watcher.counts["batches"] <= 11
    assert next(arriving, None) is not None

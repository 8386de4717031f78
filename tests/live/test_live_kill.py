"""kill -9 of ``watchkeeper watch`` at random moments during a replay over loopback.

After each kill the watch restarts; at the end the store must hold exactly what a clean
batch ingest of the same lines gives (count and content), and no alert (id, state) may
have been emitted twice, in the output file or the journal.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from live_helpers import free_port, positions

from watchkeeper.ingest.pipeline import ingest_file
from watchkeeper.live.replay import ReplayOptions, serve
from watchkeeper.store.workspace import Workspace

KILLS = 5


def _watch(ws: Path, port: int, alerts: Path, err: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "watchkeeper", "watch", "-w", str(ws)]
    cmd += ["--tcp", f"127.0.0.1:{port}", "--alerts", str(alerts)]
    cmd += ["--batch-s", "0.3", "--detect-every", "1"]
    with err.open("ab") as f:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=f)


def _wal_grows(wal: Path, by: int, limit_s: float) -> None:
    """Wait until the log has grown by ``by`` bytes: the whole file received once more."""
    deadline = time.monotonic() + limit_s
    start = wal.stat().st_size
    while wal.stat().st_size < start + by:
        assert time.monotonic() < deadline, "the replay did not finish in time"
        time.sleep(0.1)


@pytest.mark.slow
def test_kill9_during_replay_loses_and_repeats_nothing(live_sim: Path, tmp_path: Path) -> None:
    feed = live_sim / "traffic.nmea"
    port = free_port()
    stop, ready = threading.Event(), threading.Event()
    # 20,000 lines/s: the scenario's ~115,000 lines take ~6 s, so kills land mid-replay
    opts = ReplayOptions(rate=20_000)
    server = threading.Thread(
        target=serve, args=(feed, "127.0.0.1", port, opts, stop, ready), daemon=True
    )
    server.start()
    assert ready.wait(10)
    ws, alerts, err = tmp_path / "ws", tmp_path / "alerts.jsonl", tmp_path / "stderr.txt"
    rng = random.Random(20240304)
    killed = 0
    try:
        for _ in range(KILLS):
            proc = _watch(ws, port, alerts, err)
            time.sleep(rng.uniform(3.0, 8.0))  # start-up takes 2-4 s on a busy machine
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
            proc.wait(30)
        proc = _watch(ws, port, alerts, err)
        _wal_grows(ws / "live" / "wal.nmea", feed.stat().st_size, limit_s=120)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(120) == 0, err.read_text()
    finally:
        stop.set()
    assert killed == KILLS

    live = Workspace(ws)
    # the log holds every line received (the file, partly, once per connection)
    wal_copy = tmp_path / "wal-copy.nmea"
    shutil.copy(ws / "live" / "wal.nmea", wal_copy)
    clean_wal = Workspace(tmp_path / "clean-wal")
    ingest_file(clean_wal, wal_copy)
    assert live.count("positions") == clean_wal.count("positions") > 0
    assert positions(live).equals(positions(clean_wal))
    # and, duplicates dropped, exactly what a batch ingest of the replayed file stores
    clean = Workspace(tmp_path / "clean")
    ingest_file(clean, feed)
    assert positions(live, drop=("line",)).equals(positions(clean, drop=("line",)))

    out = [json.loads(x) for x in alerts.read_text().splitlines()]
    journal = [json.loads(x) for x in (ws / "live" / "alerts.jsonl").read_text().splitlines()]
    assert out, "the scenario's planted cases give alerts"
    for records in (out, journal):
        pairs = Counter((r["alert_id"], r["state"]) for r in records)
        assert max(pairs.values()) == 1, [p for p, n in pairs.items() if n > 1][:5]
    assert {(r["alert_id"], r["state"]) for r in out} == {
        (r["alert_id"], r["state"]) for r in journal
    }

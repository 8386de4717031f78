"""Live watch over loopback: ``watchkeeper watch`` (its own process, detection on, a rerun
every 10 s over the 24 h window) consuming ``replay`` of the realistic feed
(``benchmarks/feed.py``) at increasing rates. Per rate: lines offered and stored, the
sustained rate (lines stored / time from the first line's arrival to the last batch's
commit), peak memory, and the line-weighted latency from a line's arrival to its commit
(store) and to the end of the first detection run that saw it (detect: the latency of
any alert that line could complete). Runs are ``WATCHKEEPER_BENCH_LIVE_S`` seconds each
(default 10), not the 5 minutes of a soak test; the feed's 3 % duplicates and 1 % corrupt
lines are counted as the batch ingest counts them. From the middle of each run's feed on,
one vessel in 50 reports a new name (``feed_lines(renames=True)``): identity changes that
the fast alerts (``live/fast.py``) report at the batch that completes them; ``fast_p50_s`` /
``fast_p99_s`` are their latencies from the arrival of the batch's first line to the alert
(an upper bound of the latency from the completing line).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.feed import write_feed
from watchkeeper.live.replay import ReplayOptions, serve

RATES = tuple(
    int(r)
    for r in os.environ.get("WATCHKEEPER_BENCH_LIVE_RATES", "10000,20000,40000,80000").split(",")
)
SECONDS = float(os.environ.get("WATCHKEEPER_BENCH_LIVE_S", "10"))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _one(rate: int, tmp: Path) -> dict[str, Any]:
    n = int(rate * SECONDS)
    part = write_feed(tmp / f"feed-{rate}.nmea", n, 11, renames=True)
    port = _free_port()
    stop, ready = threading.Event(), threading.Event()
    threading.Thread(
        target=serve,
        args=(part, "127.0.0.1", port, ReplayOptions(rate=rate), stop, ready),
        daemon=True,
    ).start()
    ready.wait(10)
    ws = tmp / f"ws-{rate}"
    cmd = [sys.executable, "-m", "watchkeeper", "watch", "-w", str(ws)]
    cmd += ["--tcp", f"127.0.0.1:{port}", "--detect-every", "10"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wal, size = ws / "live" / "wal.nmea", part.stat().st_size
    deadline = time.monotonic() + SECONDS * 20 + 60
    while (not wal.exists() or wal.stat().st_size < size) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    proc.send_signal(signal.SIGTERM)  # commits what is left, detects once, writes stats
    proc.wait(600)
    stats = json.loads((ws / "live" / "stats.json").read_text())
    c = stats["counts"]
    span = (stats["last_commit"] or 0) - (stats["first_arrival"] or 0)
    return {
        "lines_offered": n,
        "lines_stored": c.get("lines_stored", 0),
        "sustained_lines_per_s": round(c.get("lines_stored", 0) / span) if span > 0 else None,
        "positions": c.get("positions", 0),
        "detections": c.get("detections", 0),
        "max_rss_mib": round(stats["max_rss_mib"]),
        "store_p50_s": stats["latency_store"]["p50_s"],
        "store_p99_s": stats["latency_store"]["p99_s"],
        "detect_p50_s": stats["latency_detect"]["p50_s"],
        "detect_p99_s": stats["latency_detect"]["p99_s"],
        "fast_alerts": c.get("fast_alerts", 0),
        "fast_p50_s": stats["latency_fast_alerts"]["p50_s"],
        "fast_p99_s": stats["latency_fast_alerts"]["p99_s"],
    }


def run() -> dict[str, Any]:
    """One watch per rate; returns the numbers by rate."""
    with tempfile.TemporaryDirectory(prefix="bench-live-") as d:
        tmp = Path(d)
        out: dict[str, Any] = {"seconds_per_rate": SECONDS}
        for rate in RATES:
            out[f"rate_{rate}"] = _one(rate, tmp)
        return out

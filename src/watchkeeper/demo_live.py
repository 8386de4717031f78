"""``make demo-live``: a simulated scenario replayed as a live TCP feed through ``watch``,
with its alerts shown as they arrive.

Three processes, as a user runs them: ``watchkeeper replay`` serves the scenario's NMEA over
loopback at a fixed rate, ``watchkeeper watch`` consumes it (write-ahead log, batches,
detection every few seconds) and writes alerts as JSON lines; this script follows that file
and prints each alert, then stops the watch (SIGTERM: it commits, detects once more and
writes ``live/stats.json``) once the whole feed is stored. Usage:
``python -m watchkeeper.demo_live [OUT] [--days D] [--rate LINES_PER_S]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console

console = Console()

_COLOUR = {"provisional": "yellow", "confirmed": "red", "closed": "green", "retracted": "dim"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "watchkeeper", *args]


def _line(alert: dict[str, Any], t0: float) -> str:
    state = alert["state"]
    colour = _COLOUR.get(state, "white")
    if state == "retracted":
        what = f"alert {alert['alert_id']}"
    else:
        other = f" with {alert['other_mmsi']}" if alert.get("other_mmsi") else ""
        what = f"{alert['type']:<15} MMSI {alert['mmsi']}{other} from {alert['start'][:16]}"
    return f"[dim]+{time.monotonic() - t0:5.1f} s[/dim]  [{colour}]{state:<11}[/{colour}] {what}"


class _Follower:
    """New JSON lines of a file, as they are appended."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        whole = data[: data.rfind(b"\n") + 1]
        self.offset += len(whole)
        return [json.loads(x) for x in whole.splitlines() if x.strip()]


def main(out: Path, days: float = 2.0, rate: int = 20_000, timeout_s: float = 600.0) -> int:
    """Run the live demo into ``out``; the number of alerts shown."""
    data, ws = out / "data", out / "workspace"
    for old in (data, ws):  # a rerun starts from scratch: the demo owns these folders
        shutil.rmtree(old, ignore_errors=True)
    console.rule("[bold]simulate")
    sim = ("--scenario", "east-china-sea", "--days", str(days), "--seed", "1", "-o", str(data))
    subprocess.run(_cli("simulate", *sim), check=True)
    feed = data / "traffic.nmea"
    alerts = out / "alerts.jsonl"
    alerts.unlink(missing_ok=True)
    port = _free_port()
    console.rule(f"[bold]replay {feed.name} at {rate:,} lines/s -> watch")
    replay = subprocess.Popen(
        _cli("replay", str(feed), "--serve", f"127.0.0.1:{port}", "--rate", str(rate))
    )
    feed_at = ("--tcp", f"127.0.0.1:{port}", "--alerts", str(alerts), "--detect-every", "3")
    watch = subprocess.Popen(_cli("watch", "-w", str(ws), *feed_at))
    shown = _follow(watch, _Follower(alerts), ws / "live" / "wal.nmea", feed, timeout_s)
    replay.send_signal(signal.SIGTERM)
    replay.wait(30)
    _summary(shown, ws)
    return len(shown)


def _follow(
    watch: subprocess.Popen[bytes], alerts: _Follower, wal: Path, feed: Path, timeout_s: float
) -> list[dict[str, Any]]:
    """Print alerts as they arrive; stop the watch once the whole feed is in its log."""
    t0 = time.monotonic()
    shown: list[dict[str, Any]] = []
    stopping = False
    while watch.poll() is None:
        for a in alerts.new():
            shown.append(a)
            console.print(_line(a, t0), highlight=False)
        done = wal.exists() and wal.stat().st_size >= feed.stat().st_size
        if not stopping and (done or time.monotonic() - t0 > timeout_s):
            console.print("[dim]the whole feed is stored: stopping the watch[/dim]")
            watch.send_signal(signal.SIGTERM)  # commits, detects once more, writes its stats
            stopping = True
        time.sleep(0.2)
    for a in alerts.new():
        shown.append(a)
        console.print(_line(a, t0), highlight=False)
    return shown


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _summary(shown: list[dict[str, Any]], ws: Path) -> None:
    console.rule("[bold]alerts")
    by = Counter((a.get("type", "(retracted)"), a["state"]) for a in shown)
    for (kind, state), n in sorted(by.items()):
        console.print(f"{kind:<16} {state:<11} {n:>5}", highlight=False)
    stats = ws / "live" / "stats.json"
    if stats.exists():
        s = json.loads(stats.read_text())
        lat = s.get("latency_detect", {})
        console.print(
            f"stored {s['counts'].get('lines_stored', 0):,} lines; detection runs "
            f"{s['counts'].get('detections', 0)}; from a line's arrival to the detection run "
            f"that saw it: p50 {_s(lat.get('p50_s'))}, p99 {_s(lat.get('p99_s'))}",
            highlight=False,
        )
    console.print(f"workspace: {ws}   alerts: {ws.parent / 'alerts.jsonl'}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", nargs="?", default="demo-output/live", type=Path)
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--rate", type=int, default=20_000)
    ns = ap.parse_args()
    raise SystemExit(0 if main(ns.out, ns.days, ns.rate) else 1)

"""Helpers of the fault tests: a multi-day CSV, child processes to kill, workspace states."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from watchkeeper import Workspace

HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)


def multi_day_csv(path: Path, *, rows: int, days: int, seed: int = 7, bad_every: int = 97) -> Path:
    """A CSV of ``rows`` positions over ``days`` days, days interleaved (so the day writer
    closes and reopens files while it streams) and every ``bad_every``-th row broken."""
    rng = random.Random(seed)
    lines = [HEADER]
    for i in range(rows):
        day = i % days
        mmsi = 211000000 + i % 50
        sec = rng.randrange(86_400)
        ts = f"2024-03-{day + 1:02d}T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
        lat = 54.0 + rng.random()
        lon = 10.0 + rng.random()
        if i % bad_every == 0:
            lines.append(f"{mmsi},not-a-time,{lat:.5f},{lon:.5f},1,2,3,,,,,,,,,,A")
        else:
            lines.append(f"{mmsi},{ts},{lat:.5f},{lon:.5f},5.0,90.0,90,SHIP{i % 50},,,70,0,,,,,A")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class State:
    """What a reader sees of a workspace."""

    positions: int
    identities: int
    logged: int
    rejects: int
    days: int


def state(ws_path: Path) -> State:
    """The workspace as a read-only reader sees it."""
    if not ws_path.exists():
        return State(0, 0, 0, 0, 0)
    ws = Workspace(ws_path, read_only=True)
    return State(
        positions=ws.count("positions"),
        identities=ws.count("identities"),
        logged=ws.ingest_log().num_rows,
        rejects=ws.rejects().num_rows,
        days=len(ws.days()),
    )


def run_python(code: str, *args: str) -> subprocess.Popen[bytes]:
    """Start ``python -c code args`` in its own process group (stdout/err discarded)."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill_after(proc: subprocess.Popen[bytes], delay_s: float) -> bool:
    """SIGKILL ``proc`` after ``delay_s`` seconds; whether it was still running."""
    try:
        proc.wait(timeout=delay_s)
        killed = False
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed = True
    if proc.stderr is not None:
        proc.stderr.close()
    return killed


def timed(code: str, *args: str) -> float:
    """Seconds a clean run of ``code`` takes (it must succeed)."""
    t0 = time.monotonic()
    proc = run_python(code, *args)
    _, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    return time.monotonic() - t0

"""Reads never write and never wait for long: a reader runs while another process ingests."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchkeeper.errors import WorkspaceError, WorkspaceLockedError
from watchkeeper.store import Workspace, workspace
from watchkeeper.store.summary import summarize

_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass\n"
)


def _marinecadastre_csv(path: Path, rows: int, *, first_mmsi: int = 200_000_000) -> None:
    """A MarineCadastre-style CSV: 500 vessels reporting every 3 s in turn."""
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w") as f:
        f.write(_HEADER)
        for i in range(rows):
            m = first_mmsi + i % 500
            t = t0 + timedelta(seconds=3 * i)
            lat, lon = 30 + (i % 997) / 1000, 120 + (i % 991) / 1000
            f.write(
                f"{m},{t:%Y-%m-%dT%H:%M:%S},{lat:.5f},{lon:.5f},10.1,90.0,90,SHIP {m},,,70,0,"
                "100,20,5.0,,A\n"
            )


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "watchkeeper", *args]


def test_opening_an_existing_workspace_writes_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    assert not ws.db_path.exists()  # the DuckDB file is made on the first write
    ws.log_ingest({"ingest_id": "x", "file": "f"})
    before = {p: p.stat().st_mtime_ns for p in ws.path.rglob("*")}
    again = Workspace(ws.path, create=False)
    assert again.is_ingested("x") and again.read_table("events") is None
    summarize(again)
    assert {p: p.stat().st_mtime_ns for p in ws.path.rglob("*")} == before


def test_read_only_refuses_writes(tmp_path: Path) -> None:
    Workspace(tmp_path / "ws")
    ro = Workspace(tmp_path / "ws", read_only=True)
    for write in (
        lambda: ro.log_ingest({"ingest_id": "x"}),
        lambda: ro.writer("positions", "x"),
        lambda: ro.discard("x"),
    ):
        with pytest.raises(WorkspaceError, match="read-only"):
            write()
    with pytest.raises(WorkspaceError, match="no workspace"):
        Workspace(tmp_path / "missing", read_only=True)


def test_reader_runs_while_an_ingest_writes(tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    _marinecadastre_csv(small, 1_000, first_mmsi=300_000_000)
    _marinecadastre_csv(big, 400_000)  # ~40 MB: a few seconds of writing
    subprocess.run(_cli("ingest", str(small), "-w", str(ws_dir)), check=True, capture_output=True)
    log = tmp_path / "ingest.log"
    with log.open("w") as out:
        writer = subprocess.Popen(
            _cli("ingest", str(big), "-w", str(ws_dir)), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        reads_during_write = 0
        ws = Workspace(ws_dir, read_only=True)
        deadline = time.monotonic() + 120
        while writer.poll() is None and time.monotonic() < deadline:
            n_small = ws.positions(mmsis=[300_000_000]).num_rows
            info = summarize(ws)
            if writer.poll() is None:  # the writer held the workspace all through this read
                reads_during_write += 1
            assert n_small == 2 and info.files >= 1 and info.positions >= 1_000
            info_cli = subprocess.run(
                _cli("info", "-w", str(ws_dir), "--json"),
                capture_output=True,
                text=True,
                check=False,
            )
            assert info_cli.returncode == 0, info_cli.stderr
        writer.wait(timeout=120)
    finally:
        writer.kill()
    assert writer.returncode == 0, log.read_text()
    assert reads_during_write >= 1
    assert Workspace(ws_dir).count("positions") == 401_000


_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    proc.stdout.close()
    return proc


def test_a_short_lock_is_waited_out(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.log_ingest({"ingest_id": "x", "file": "f"})
    holder = _hold(ws.db_path, 0.5)
    try:
        assert ws.is_ingested("x")  # retried with back-off until the writer let go
    finally:
        holder.wait(timeout=30)


def test_a_long_lock_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.log_ingest({"ingest_id": "x", "file": "f"})
    monkeypatch.setattr(workspace, "_LOCK_BACKOFF_S", (0.01, 0.02))
    holder = _hold(ws.db_path, 30)
    try:
        with pytest.raises(WorkspaceLockedError, match="another process") as err:
            ws.ingest_log()
        assert err.value.http_status == 423
    finally:
        holder.kill()
        holder.wait()

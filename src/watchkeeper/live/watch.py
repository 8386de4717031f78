"""The watch loop: feeds append to the write-ahead log; the loop commits batches and detects.

Receivers (:mod:`.feeds`) run in threads and only append whole lines to the log. The loop
reads the log from the checkpoint: every ``batch_s`` seconds, or sooner when
``batch_lines`` lines wait, it frames, decodes and commits one batch
(:mod:`.batch`); every ``detect_every_s`` seconds after new data it reruns detection over
the live window (:mod:`.window`) and emits alert transitions (:mod:`.alerts`). A restart
takes the same path: the checkpoint is read from the store and the log's tail past it is
committed first, so nothing received is lost or stored twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.registry import SPOOFING
from watchkeeper.errors import WatchkeeperError, WorkspaceLockedError
from watchkeeper.live.alerts import AlertJournal, AlertParams, pending_for, read_jsonl, transitions
from watchkeeper.live.batch import BatchResult, BatchWriter, frame_batch, lines_array
from watchkeeper.live.checkpoint import Checkpoint, from_ingest_log
from watchkeeper.live.fast import Triggers, detect_vessels, fast_context
from watchkeeper.live.feeds import FeedStats
from watchkeeper.live.outputs import QueuedOutput
from watchkeeper.live.wal import Wal
from watchkeeper.live.window import detect_window
from watchkeeper.store.workspace import Workspace

__all__ = ["LIVE_DIR", "Latency", "WatchParams", "Watcher", "checkpoint_of"]

#: The folder of the live state inside a workspace.
LIVE_DIR = "live"


@dataclass(frozen=True)
class WatchParams:
    """Batching and detection cadence of a watch."""

    # A batch per second (or per 20,000 lines at high rates): alerts wait at most ~1 s for
    # their data to be stored, and a batch is large enough that the store's per-batch cost
    # (one ingest transaction, one Parquet file per day) stays a few percent of the time.
    batch_lines: int = 20_000
    batch_s: float = 0.5
    # Detection reruns over the window: every 10 s after new data (a rerun over a busy day
    # takes seconds; 0 means after every batch).
    detect_every_s: float = 10.0
    # The live window: the last 24 h of positions (the longest minimum of the detectors,
    # a 12 h gap and loitering's 24 h, fits; DetectParams holds each).
    window_h: float = 24.0
    detect: bool = True
    # Zone entries and identity changes checked at each batch for the vessels it concerns
    # (live/fast.py): their alerts within about a second, not at the next rerun.
    fast: bool = True
    alerts: AlertParams = field(default_factory=AlertParams)
    detect_params: DetectParams = field(default_factory=DetectParams)


class Latency:
    """Line-weighted latencies in log-spaced buckets (1 ms to ~1,000 s), for percentiles."""

    EDGES = np.logspace(-3, 3, 121)

    def __init__(self) -> None:
        self.counts = np.zeros(len(self.EDGES) + 1, np.int64)

    def add(self, seconds: float, weight: int) -> None:
        """Record ``weight`` lines that waited ``seconds``."""
        self.counts[int(np.searchsorted(self.EDGES, seconds))] += weight

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile in seconds (the upper edge of its bucket); None when empty."""
        total = int(self.counts.sum())
        if total == 0:
            return None
        k = int(np.searchsorted(np.cumsum(self.counts), q * total))
        return float(self.EDGES[min(k, len(self.EDGES) - 1)])

    def summary(self) -> dict[str, float | int | None]:
        """Count, p50 and p99."""
        return {
            "lines": int(self.counts.sum()),
            "p50_s": self.quantile(0.5),
            "p99_s": self.quantile(0.99),
        }


class Watcher:
    """One watch over a workspace (module docstring); feeds call :meth:`sink`."""

    def __init__(
        self,
        workspace: Path,
        params: WatchParams = WatchParams(),
        *,
        alerts_to: Path | TextIO | None = None,
        outputs: Sequence[QueuedOutput] = (),
    ) -> None:
        self.params = params
        self.ws = Workspace(workspace)
        self.dir = self.ws.path / LIVE_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = _hold_lock(self.dir / "watch.lock")
        self.wal = Wal(self.dir / "wal.nmea")
        self.checkpoint = from_ingest_log(self.ws.ingest_log())
        if self.checkpoint.offset > self.wal.end:
            raise WatchkeeperError(
                f"{self.wal.path} ends at byte {self.wal.end} but the store holds its lines "
                f"to byte {self.checkpoint.offset}: the log was truncated or replaced"
            )
        self.writer = BatchWriter(self.ws, file=str(self.wal.path))
        # Batches are committed while detection runs in another thread; the two touch the
        # workspace's DuckDB file only in a batch's commit and in writing ``live_events``,
        # and DuckDB refuses a read-only and a read-write connection to one file open
        # together in one process: those two steps take turns (detection's reads are
        # Parquet, in memory, and run alongside).
        self._file_lock = threading.Lock()
        self.journal = AlertJournal(self.dir / "alerts.jsonl")
        self.known = self.journal.known()
        self._alert_lock = threading.Lock()  # the detection thread and the batch loop emit
        self._fast_context = fast_context(params.detect_params)
        jump_kn = params.detect_params.of(SPOOFING).min_jump_kn
        self.triggers = Triggers(self._fast_context.zones, jump_kn)
        self.fast_latency = Latency()
        self._fast_wake = threading.Condition()
        self._fast_pending: set[int] = set()
        self._fast_arrived: float | None = None
        self._fast_thread: threading.Thread | None = None
        self._data_end: datetime | None = None  # the store's last position time, once known
        self.alerts_to = alerts_to
        self.feeds: list[FeedStats] = []
        self.counts: Counter[str] = Counter()
        self.store_latency = Latency()
        self.detect_latency = Latency()
        self._arrived: deque[tuple[int, float, int]] = deque()  # (log end, time, lines)
        self._stored: deque[tuple[int, float, int]] = deque()
        self._new_data = False
        self._last_detect = 0.0
        self.first_arrival: float | None = None  # wall time of the first line this run
        self.last_commit: float | None = None  # wall time of the last batch committed
        self._deliver(pending_for(self._output_records(), self.journal.records))
        self.outputs = list(outputs)
        for out in self.outputs:
            out.send(out.pending(self.journal.records))

    # -- feeds ----------------------------------------------------------------------------

    def sink(self, data: bytes) -> int:
        """Append whole lines to the log (the first thing done with them); log lines after."""
        if data:
            n = data.count(b"\n")
            end = self.wal.append(data)
            now = time.time()
            if self.first_arrival is None:
                self.first_arrival = now
            self._arrived.append((end, now, n))
        return self.wal.lines()

    # -- the loop -------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Commit and detect until ``stop``; then commit what the log holds and detect once.

        Detection runs in its own thread so that batches keep being committed while it
        works (the store's readers and writers are safe to run together); one run at a
        time."""
        last_commit = 0.0
        detector: threading.Thread | None = None
        fast_stop = threading.Event()
        self._fast_thread = threading.Thread(target=self._fast_worker, args=(fast_stop,))
        self._fast_thread.start()
        while not stop.is_set():
            waiting = self.wal.lines() - self.checkpoint.lines
            now = time.monotonic()
            if now - last_commit >= self.params.batch_s or waiting >= self.params.batch_lines:
                self._drain()
                last_commit = now
            if (detector is None or not detector.is_alive()) and self._detect_due():
                detector = threading.Thread(target=self.detect, daemon=True)
                detector.start()
            stop.wait(0.02)
        while self.step():
            pass
        while self.step(final=True):  # the feeds are closed: no part will complete the tail
            pass
        fast_stop.set()
        self._fast_thread.join()
        self._fast_thread = None
        if detector is not None:
            detector.join()
        if self.params.detect and self._new_data:
            self.detect()
        self.write_stats()

    def _drain(self) -> None:
        """Commit what the log holds now, not what arrives meanwhile: on a steady feed each
        batch finds new lines, and draining those too would never let detection start."""
        target = self.wal.end
        while self.checkpoint.offset < target and self.step():
            pass

    def _detect_due(self) -> bool:
        if not self.params.detect or not self._new_data or self.params.detect_every_s == 0:
            return False
        return time.monotonic() - self._last_detect >= self.params.detect_every_s

    def catch_up(self) -> None:
        """Commit every whole message the log holds (a restart's first step, and tests')."""
        while self.step():
            pass

    def step(self, *, final: bool = False) -> bool:
        """Commit one batch from the checkpoint; False when nothing can be committed.

        ``final``: the messages still waiting for a part at the log's end are broken."""
        start = self.checkpoint
        end = self.wal.end
        if end <= start.offset:
            return False
        size = max(self.params.batch_lines * 160, 1 << 17)  # ~2x a tagged line's length
        data = self.wal.read(start.offset, min(end, start.offset + size))
        data = data[: data.rfind(b"\n") + 1]
        lines = lines_array(data)
        if len(lines) > self.params.batch_lines:
            lines = lines.slice(0, self.params.batch_lines)
        framed = frame_batch(
            lines, first_line=start.lines + 1, file=str(self.wal.path), final=final
        )
        if framed.n_lines == 0:
            return False
        self.wal.sync()  # the store never holds what the log could lose
        with self._file_lock:
            result = self.writer.commit(start, data, framed)
        self.checkpoint = result.end
        self.counts["batches"] += 1
        self.counts["lines_stored"] += result.lines
        self.counts["positions"] += result.positions
        self.counts["identities"] += result.identities
        self.counts.update({f"reject:{k}": v for k, v in result.rejects.items()})
        self.counts.update({f"skipped:{k}": v for k, v in result.skipped.items()})
        self._new_data = True
        now = self.last_commit = time.time()
        oldest = now
        while self._arrived and self._arrived[0][0] <= result.end.offset:
            item = self._arrived.popleft()
            self.store_latency.add(now - item[1], item[2])
            self._stored.append(item)
            oldest = min(oldest, item[1])
        if self._data_end is not None and result.new_positions is not None:
            latest = pc.max(result.new_positions.column("ts")).as_py()
            self._data_end = max(self._data_end, latest) if latest else self._data_end
        if self.params.detect and self.params.fast:
            self._fast_alerts(result, oldest)
        if self.params.detect and self.params.detect_every_s == 0:
            self.detect()
        return True

    # -- detection and alerts -------------------------------------------------------------

    def detect(self) -> list[dict[str, Any]]:
        """Rerun detection over the live window and emit the alert transitions."""
        covered = self.checkpoint.offset
        self._new_data = False
        self._last_detect = time.monotonic()
        run = detect_window(self.ws, self.params.detect_params, self.params.window_h)
        self.counts["detections"] += 1
        if run.data_end is None or run.window_start is None:
            return []
        with self._file_lock:
            self.ws.write_table("live_events", run.events)
        alerts = self._emit(run.events, run.data_end, run.window_start, retract=True)
        now = time.time()
        while self._stored and self._stored[0][0] <= covered:
            item = self._stored.popleft()
            self.detect_latency.add(now - item[1], item[2])
        return alerts

    def _fast_alerts(self, result: BatchResult, arrived: float) -> None:
        """Zone entries and identity changes of the vessels the batch concerns (live/fast.py);
        ``arrived``: when the batch's first line arrived. Under :meth:`run` the vessels go to
        the fast thread (the next batch is not held up); otherwise they are checked now."""
        pos, ids = result.new_positions, result.new_identities
        if pos is None or ids is None:
            return
        mmsis = self.triggers.vessels(pos, ids)
        if not mmsis:
            return
        if self._fast_thread is None:
            self._fast_run(mmsis, arrived)
            return
        with self._fast_wake:
            self._fast_pending |= mmsis
            self._fast_arrived = min(arrived, self._fast_arrived or arrived)
            self._fast_wake.notify()

    def _fast_worker(self, stop: threading.Event) -> None:
        """The fast thread: checks the vessels batches hand over (several batches' at once
        when it falls behind) until ``stop`` and nothing is waiting."""
        while True:
            with self._fast_wake:
                while not self._fast_pending and not stop.is_set():
                    self._fast_wake.wait(0.1)
                if not self._fast_pending:
                    return
                mmsis, arrived = self._fast_pending, self._fast_arrived or time.time()
                self._fast_pending, self._fast_arrived = set(), None
            self._fast_run(mmsis, arrived)

    def _fast_run(self, mmsis: set[int], arrived: float) -> None:
        p = self.params
        if self._data_end is None:
            self._data_end = self.ws.last_time("positions")
        events, data_end = detect_vessels(
            self.ws, mmsis, p.detect_params, p.window_h, self._fast_context, data_end=self._data_end
        )
        self.counts["fast_runs"] += 1
        if data_end is None:
            return
        start = data_end - timedelta(hours=p.window_h)
        alerts = self._emit(events, data_end, start, retract=False)
        if alerts:
            self.fast_latency.add(time.time() - arrived, len(alerts))
            self.counts["fast_alerts"] += len(alerts)

    def _emit(
        self, events: pa.Table, data_end: datetime, window_start: datetime, *, retract: bool
    ) -> list[dict[str, Any]]:
        """The alert transitions of ``events``: journaled, then to every output."""
        with self._alert_lock:
            alerts = transitions(
                self.known,
                events,
                data_end=data_end,
                window_start=window_start,
                params=self.params.alerts,
                retract=retract,
            )
            self.journal.append(alerts)
            self._deliver(alerts)
            for out in self.outputs:
                out.send(alerts)
            self.counts["alerts"] += len(alerts)
        return alerts

    def _output_records(self) -> list[dict[str, Any]]:
        if isinstance(self.alerts_to, Path):
            return read_jsonl(self.alerts_to)
        return list(self.journal.records)  # a stream: what it missed cannot be known

    def _deliver(self, alerts: list[dict[str, Any]]) -> None:
        if not alerts or self.alerts_to is None:
            return
        text = "".join(json.dumps(a, sort_keys=True) + "\n" for a in alerts)
        if isinstance(self.alerts_to, Path):
            with self.alerts_to.open("a") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        else:
            self.alerts_to.write(text)
            self.alerts_to.flush()

    # -- reporting ------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters, latencies, memory and the checkpoint."""
        return {
            "checkpoint": {"offset": self.checkpoint.offset, "lines": self.checkpoint.lines},
            "log": {"bytes": self.wal.end, "repaired_bytes": self.wal.repaired},
            "counts": dict(self.counts),
            "feeds": [f.as_dict() for f in self.feeds],
            "latency_store": self.store_latency.summary(),
            "latency_detect": self.detect_latency.summary(),
            "latency_fast_alerts": self.fast_latency.summary(),
            "outputs": {o.name: dict(o.counts) for o in self.outputs},
            "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "first_arrival": self.first_arrival,
            "last_commit": self.last_commit,
        }

    def write_stats(self) -> None:
        """Write :meth:`stats` to ``live/stats.json`` (replaced atomically)."""
        tmp = self.dir / "stats.json.tmp"
        tmp.write_text(json.dumps(self.stats(), indent=1, sort_keys=True))
        tmp.replace(self.dir / "stats.json")

    def close(self) -> None:
        """Close the outputs (what they have not delivered is sent again at the next start),
        the log and the journal, and release the workspace's watch lock."""
        for out in self.outputs:
            out.close()
        self.wal.close()
        self.journal.close()
        os.close(self._lock)


def _hold_lock(path: Path) -> int:
    """One watch per workspace: a second would write the same log."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise WorkspaceLockedError(f"another watch is running on {path.parent.parent}") from None
    return fd


def checkpoint_of(workspace: Path) -> Checkpoint:
    """The checkpoint of a workspace (what of its log the store holds)."""
    return from_ingest_log(Workspace(workspace).ingest_log())

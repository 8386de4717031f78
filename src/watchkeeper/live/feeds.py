"""Feed adapters: a TCP client, a UDP listener and a file follower, each handing whole
lines (bytes) to a sink (the write-ahead log) as they arrive.

A TCP feed is consumed as AIS feed servers expect (we connect to them); a dropped or
refused connection is retried with doubling back-off, and a connection silent for
``stall_s`` is dropped and reconnected (a stalled feed). Lines longer than ``max_line``
bytes without a newline are dropped and counted (a binary stream, a wrong port); the bytes
of a line cut by a disconnect are dropped and counted. Every fault is counted in
:class:`FeedStats`, none ends the watch.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "FeedParams",
    "FeedStats",
    "LineSplitter",
    "Sink",
    "follow_file",
    "parse_endpoint",
    "run_tcp",
    "run_udp",
]

#: Receives whole lines (bytes ending with a newline); returns the log's line count after.
Sink = Callable[[bytes], int]


@dataclass(frozen=True)
class FeedParams:
    """Reconnection, stall and line-length limits of the feed adapters."""

    # Back-off after a failed or lost connection: 0.5 s doubling to 30 s (a restarting
    # feed server is back within seconds; 30 s keeps a dead one from being hammered).
    backoff_min_s: float = 0.5
    backoff_max_s: float = 30.0
    # No byte for 60 s on a feed that carries hundreds of lines a second: stalled.
    stall_s: float = 60.0
    # An NMEA sentence is at most 82 characters (IEC 61162-1); tag blocks and receiver
    # trailers add < 100: a line of 64 KiB is not AIS.
    max_line: int = 65_536
    # How often blocking reads wake to check for the stop signal.
    poll_s: float = 0.2


@dataclass
class FeedStats:
    """Counters of one feed."""

    name: str
    bytes: int = 0
    lines: int = 0
    connects: int = 0
    connect_failures: int = 0
    disconnects: int = 0
    stalls: int = 0
    overlong: int = 0
    partial: int = 0
    truncations: int = 0

    def as_dict(self) -> dict[str, int | str]:
        """The counters as a plain dict."""
        return asdict(self)


class LineSplitter:
    """Bytes in, whole lines out; keeps the unfinished tail, drops overlong lines."""

    def __init__(self, stats: FeedStats, max_line: int) -> None:
        self.stats = stats
        self.max_line = max_line
        self.tail = b""

    def feed(self, data: bytes) -> bytes:
        """The whole lines completed by ``data`` (possibly empty)."""
        self.stats.bytes += len(data)
        buf = self.tail + data
        cut = buf.rfind(b"\n") + 1
        whole, self.tail = buf[:cut], buf[cut:]
        if len(self.tail) > self.max_line:
            self.stats.overlong += 1
            self.tail = b""
        if whole and self.max_line < len(whole):
            whole = self._drop_overlong(whole)
        self.stats.lines += whole.count(b"\n")
        return whole

    def _drop_overlong(self, whole: bytes) -> bytes:
        lines = whole.split(b"\n")[:-1]
        kept = [ln for ln in lines if len(ln) <= self.max_line]
        self.stats.overlong += len(lines) - len(kept)
        return b"".join(ln + b"\n" for ln in kept)

    def drop_tail(self) -> None:
        """The connection ended inside a line: that line is lost (counted)."""
        if self.tail:
            self.stats.partial += 1
            self.tail = b""


def parse_endpoint(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` too) as (host, port).

    >>> parse_endpoint("127.0.0.1:5631")
    ('127.0.0.1', 5631)
    """
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"{text!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def run_tcp(
    host: str,
    port: int,
    sink: Sink,
    stop: threading.Event,
    stats: FeedStats,
    params: FeedParams = FeedParams(),
) -> None:
    """Consume a TCP feed until ``stop``: connect, read lines, reconnect with back-off."""
    backoff = params.backoff_min_s
    while not stop.is_set():
        try:
            sock = socket.create_connection((host, port), timeout=params.backoff_max_s)
        except OSError:
            stats.connect_failures += 1
            stop.wait(backoff)
            backoff = min(backoff * 2, params.backoff_max_s)
            continue
        stats.connects += 1
        if _read_connection(sock, sink, stop, stats, params):
            backoff = params.backoff_min_s  # it delivered: a fresh failure starts low
        stop.wait(backoff)
        backoff = min(backoff * 2, params.backoff_max_s)


def _read_connection(
    sock: socket.socket, sink: Sink, stop: threading.Event, stats: FeedStats, params: FeedParams
) -> bool:
    """Read one connection to its end; returns whether it delivered any line."""
    splitter = LineSplitter(stats, params.max_line)
    sock.settimeout(params.poll_s)
    last = time.monotonic()
    delivered = False
    try:
        while not stop.is_set():
            try:
                data = sock.recv(1 << 20)
            except TimeoutError:
                if time.monotonic() - last > params.stall_s:
                    stats.stalls += 1
                    break
                continue
            if not data:
                stats.disconnects += 1
                break
            last = time.monotonic()
            lines = splitter.feed(data)
            if lines:
                sink(lines)
                delivered = True
    except OSError:
        stats.disconnects += 1
    finally:
        splitter.drop_tail()
        sock.close()
    return delivered


def run_udp(
    host: str,
    port: int,
    sink: Sink,
    stop: threading.Event,
    stats: FeedStats,
    params: FeedParams = FeedParams(),
    ready: threading.Event | None = None,
) -> None:
    """Listen for UDP datagrams (each one or more whole lines) until ``stop``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.bind((host, port))
        sock.settimeout(params.poll_s)
        if ready is not None:
            ready.set()
        splitter = LineSplitter(stats, params.max_line)
        while not stop.is_set():
            try:
                data, _ = sock.recvfrom(65_535)
            except TimeoutError:
                continue
            if not data.endswith(b"\n"):
                data += b"\n"  # a datagram holds whole lines, the last without its newline
            lines = splitter.feed(data)
            if lines:
                sink(lines)


def follow_file(
    path: Path,
    sink: Sink,
    stop: threading.Event,
    stats: FeedStats,
    state: Path,
    params: FeedParams = FeedParams(),
) -> None:
    """Follow a growing file (``tail -F``) until ``stop``, resuming where the log ends.

    ``state`` records, after each append to the log, the file offset consumed and the log's
    line count then; at start the lines the log gained after the last record (appended but
    not recorded when the process died) are skipped in the file, so none is read twice.
    A file that shrinks (rotated, truncated) is read again from its start (counted).
    """
    offset, skip = _resume(state, sink)
    splitter = LineSplitter(stats, params.max_line)
    while not stop.is_set():
        try:
            f = path.open("rb")
        except FileNotFoundError:
            stop.wait(params.poll_s)
            continue
        with f:
            if os.fstat(f.fileno()).st_size < offset:
                stats.truncations += 1
                offset = 0
            f.seek(offset)
            if _follow_open(f, path, sink, stop, splitter, state, offset, skip, params):
                stats.truncations += 1
                splitter.drop_tail()
                offset, skip = 0, 0


def _follow_open(
    f: BinaryIO,
    path: Path,
    sink: Sink,
    stop: threading.Event,
    splitter: LineSplitter,
    state: Path,
    offset: int,
    skip: int,
    params: FeedParams,
) -> bool:
    """Read an opened file as it grows; True when it was truncated or replaced."""
    inode = os.fstat(f.fileno()).st_ino
    while not stop.is_set():
        data = f.read(1 << 20)
        if not data:
            try:
                now = path.stat()
            except FileNotFoundError:
                stop.wait(params.poll_s)
                continue
            if now.st_size < offset or now.st_ino != inode:
                return True
            stop.wait(params.poll_s)
            continue
        offset += len(data)
        lines = splitter.feed(data)
        if skip and lines:
            lines, skip = _skip_lines(lines, skip)
        if lines:
            _save(state, offset - len(splitter.tail), sink(lines))
    return False


def _skip_lines(lines: bytes, skip: int) -> tuple[bytes, int]:
    parts = lines.split(b"\n")[:-1]
    n = min(skip, len(parts))
    rest = b"".join(p + b"\n" for p in parts[n:])
    return rest, skip - n


def _resume(state: Path, sink: Sink) -> tuple[int, int]:
    """File offset to resume from and lines to skip after it (see :func:`follow_file`)."""
    if not state.exists():
        return 0, 0
    rec = json.loads(state.read_text())
    return int(rec["offset"]), max(0, sink(b"") - int(rec["wal_lines"]))


def _save(state: Path, offset: int, wal_lines: int) -> None:
    tmp = state.with_suffix(".tmp")
    tmp.write_text(json.dumps({"offset": offset, "wal_lines": wal_lines}))
    tmp.replace(state)

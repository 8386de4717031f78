"""Feed faults: disconnects, garbage, a stalled feed, receivers out of order; counted, no crash."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from live_helpers import free_port, positions

from watchkeeper.ingest.pipeline import ingest_file
from watchkeeper.live.feeds import FeedParams, FeedStats, LineSplitter, follow_file, run_tcp
from watchkeeper.live.replay import ReplayOptions, serve
from watchkeeper.live.watch import Watcher, WatchParams
from watchkeeper.store.workspace import Workspace

FAST = FeedParams(backoff_min_s=0.05, backoff_max_s=0.2, stall_s=0.5, poll_s=0.05)


def _lines(path: Path, n: int) -> list[bytes]:
    with path.open("rb") as f:
        return [next(f) for _ in range(n)]


def _server(port: int, sessions: list[Callable[[socket.socket], None]]) -> threading.Thread:
    """Serves one connection per session function, in order, then stops."""
    srv = socket.create_server(("127.0.0.1", port))

    def serve_one(session: Callable[[socket.socket], None], conn: socket.socket) -> None:
        with conn:
            session(conn)

    def run() -> None:
        with srv:
            for session in sessions:
                conn, _ = srv.accept()
                threading.Thread(target=serve_one, args=(session, conn), daemon=True).start()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _watch(ws: Path, port: int, until: Callable[[Watcher, FeedStats], bool]) -> Watcher:
    watcher = Watcher(ws, WatchParams(detect=False, batch_s=0.05))
    stats = FeedStats("tcp")
    watcher.feeds.append(stats)
    stop = threading.Event()
    t = threading.Thread(
        target=run_tcp, args=("127.0.0.1", port, watcher.sink, stop, stats, FAST), daemon=True
    )
    t.start()
    deadline = time.monotonic() + 30
    while not until(watcher, stats):
        assert time.monotonic() < deadline, stats
        watcher.step()
        time.sleep(0.05)
    stop.set()
    t.join(5)
    watcher.catch_up()
    while watcher.step(final=True):
        pass
    watcher.close()
    return watcher


def _equals_clean_ingest(tmp_path: Path) -> None:
    copy = tmp_path / "log.nmea"
    copy.write_bytes((tmp_path / "ws" / "live" / "wal.nmea").read_bytes())
    clean = Workspace(tmp_path / "clean")
    ingest_file(clean, copy)
    assert positions(Workspace(tmp_path / "ws")).equals(positions(clean))


def test_a_dropped_connection_is_reconnected_and_a_cut_line_counted(
    live_sim: Path, tmp_path: Path
) -> None:
    lines = _lines(live_sim / "traffic.nmea", 2_000)
    port = free_port()

    def first(conn: socket.socket) -> None:
        conn.sendall(b"".join(lines[:1_000]) + lines[1_000][:20])  # cut inside a line

    def second(conn: socket.socket) -> None:
        conn.sendall(b"".join(lines[1_000:]))

    _server(port, [first, second])
    w = _watch(tmp_path / "ws", port, lambda w, s: w.wal.lines() >= 1_999 and s.connects >= 2)
    stats = w.feeds[0]
    assert stats.connects == 2 and stats.disconnects >= 1 and stats.partial == 1
    assert w.checkpoint.lines == 2_000
    _equals_clean_ingest(tmp_path)


def test_garbage_lines_are_counted_not_fatal(live_sim: Path, tmp_path: Path) -> None:
    good = _lines(live_sim / "traffic.nmea", 500)
    junk = [b"\xff\xfe garbage\n", b"!AIVDM,1,1,,A,zzzz,0*00\n", b"\n", b"$GPGGA,1,2,3*44\n"]
    mixed = [x for pair in zip(good, junk * 125, strict=True) for x in pair]
    port = free_port()

    def session(conn: socket.socket) -> None:
        conn.sendall(b"".join(mixed) + b"A" * 70_000 + b"\n" + b"".join(good[:3]))

    _server(port, [session])
    w = _watch(tmp_path / "ws", port, lambda w, s: w.wal.lines() >= len(mixed) + 3)
    assert w.feeds[0].overlong == 1
    rejected = sum(v for k, v in w.counts.items() if k.startswith("reject:"))
    assert rejected >= 250  # the bad payloads and checksums, and the binary lines
    assert w.counts["positions"] > 0
    _equals_clean_ingest(tmp_path)


def test_a_stalled_feed_is_dropped_and_reconnected(live_sim: Path, tmp_path: Path) -> None:
    lines = _lines(live_sim / "traffic.nmea", 100)
    port = free_port()
    hold = threading.Event()

    def stalled(conn: socket.socket) -> None:
        conn.sendall(b"".join(lines[:50]))
        hold.wait(5)  # says nothing more, keeps the connection open

    def healthy(conn: socket.socket) -> None:
        conn.sendall(b"".join(lines[50:]))

    _server(port, [stalled, healthy])
    w = _watch(tmp_path / "ws", port, lambda w, s: w.wal.lines() >= 100)
    hold.set()
    assert w.feeds[0].stalls == 1 and w.feeds[0].connects == 2
    _equals_clean_ingest(tmp_path)


def test_receivers_out_of_order_store_what_one_ingest_stores(
    live_sim: Path, tmp_path: Path
) -> None:
    lines = _lines(live_sim / "traffic.nmea", 6_000)
    # two receivers: one hears the second half first (its lines come hours late)
    a, b = tmp_path / "a.nmea", tmp_path / "b.nmea"
    a.write_bytes(b"".join(lines[:3_000]))
    b.write_bytes(b"".join(lines[3_000:]))
    watcher = Watcher(tmp_path / "ws", WatchParams(detect=False, batch_s=0.05))
    stop, ready = threading.Event(), threading.Event()
    threads = []
    for path in (b, a):
        port = free_port()
        ready.clear()
        threading.Thread(
            target=serve,
            args=(path, "127.0.0.1", port, ReplayOptions(rate=20_000), stop, ready),
            daemon=True,
        ).start()
        assert ready.wait(10)
        stats = FeedStats(path.name)
        watcher.feeds.append(stats)
        threads.append(
            threading.Thread(
                target=run_tcp,
                args=("127.0.0.1", port, watcher.sink, stop, stats, FAST),
                daemon=True,
            )
        )
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while watcher.wal.end < a.stat().st_size + b.stat().st_size:
        assert time.monotonic() < deadline
        watcher.step()
        time.sleep(0.05)
    stop.set()
    watcher.catch_up()
    while watcher.step(final=True):
        pass
    watcher.close()
    _equals_clean_ingest(tmp_path)
    # and what one ingest of the whole stretch stores (duplicates of the resends dropped)
    whole = tmp_path / "whole.nmea"
    whole.write_bytes(b"".join(lines))
    clean = Workspace(tmp_path / "whole")
    ingest_file(clean, whole)
    assert positions(Workspace(tmp_path / "ws"), drop=("line",)).num_rows == (
        positions(clean, drop=("line",)).num_rows
    )


def test_a_followed_file_is_resumed_without_rereading(tmp_path: Path, live_sim: Path) -> None:
    lines = _lines(live_sim / "traffic.nmea", 300)
    src = tmp_path / "growing.nmea"
    src.write_bytes(b"".join(lines[:100]))
    for k, half in enumerate((lines[100:200], lines[200:])):
        watcher = Watcher(tmp_path / "ws", WatchParams(detect=False))
        stop = threading.Event()
        state = watcher.dir / "follow.json"
        t = threading.Thread(
            target=follow_file,
            args=(src, watcher.sink, stop, FeedStats("file"), state, FAST),
            daemon=True,
        )
        t.start()
        time.sleep(0.3)
        with src.open("ab") as f:
            f.write(b"".join(half))  # the file grows while followed
        deadline = time.monotonic() + 10
        while watcher.wal.lines() < 200 + 100 * k:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        stop.set()
        t.join(5)
        watcher.close()
    assert (tmp_path / "ws" / "live" / "wal.nmea").read_bytes() == b"".join(lines)


def test_the_splitter_keeps_a_line_until_its_newline() -> None:
    s = LineSplitter(FeedStats("x"), max_line=10)
    assert s.feed(b"ab") == b""
    assert s.feed(b"c\nde") == b"abc\n"
    assert s.feed(b"f\n") == b"def\n"
    assert s.feed(b"x" * 11) == b""
    assert s.stats.overlong == 1

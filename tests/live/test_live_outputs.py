"""Alert outputs: a webhook retried until accepted, a Cursor-on-Target stream for TAK, and
after a restart only what a receiver has not acknowledged is sent again."""

from __future__ import annotations

import json
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from live_helpers import Hook

from watchkeeper.live.outputs import CotOutput, OutputParams, WebhookOutput, alert_cot

FAST = OutputParams(backoff_s=0.01, max_backoff_s=0.05, timeout_s=2.0)


def _alert(aid: str, state: str = "confirmed", **kw: Any) -> dict[str, Any]:
    return {
        "alert_id": aid,
        "state": state,
        "type": "encounter",
        "mmsi": 412000001,
        "other_mmsi": 667000002,
        "start": "2024-03-05T07:48:14+00:00",
        "end": None,
        "lat": 29.05,
        "lon": 122.95,
        "confidence": 0.9,
        "details": {},
        "evidence": {},
    } | kw


@pytest.fixture
def hook_503_twice() -> Iterator[Hook]:
    hook = Hook([503, 503])
    yield hook
    hook.close()


def test_a_webhook_is_retried_until_accepted_in_order(hook_503_twice: Hook, tmp_path: Path) -> None:
    out = WebhookOutput(hook_503_twice.url, tmp_path, FAST)
    out.send([_alert("a"), _alert("b")])
    out.send([_alert("a", "closed")])
    assert out.flush(10)
    out.close()
    assert hook_503_twice.received() == [("a", "confirmed"), ("b", "confirmed"), ("a", "closed")]
    assert hook_503_twice.calls == 4  # two refusals, then the two batches
    assert out.counts["retries"] == 2 and out.counts["delivered"] == 3


def test_after_a_restart_only_what_the_receiver_did_not_acknowledge_is_sent(
    hook_503_twice: Hook, tmp_path: Path
) -> None:
    journal = [_alert("a"), _alert("b"), _alert("a", "closed")]
    first = WebhookOutput(hook_503_twice.url, tmp_path, FAST)
    first.send(journal[:2])
    assert first.flush(10)
    first.close()
    again = WebhookOutput(hook_503_twice.url, tmp_path, FAST)  # the watch restarted
    pending = again.pending(journal)
    assert [(r["alert_id"], r["state"]) for r in pending] == [("a", "closed")]
    again.send(pending)
    assert again.flush(10)
    again.close()
    assert hook_503_twice.received() == [("a", "confirmed"), ("b", "confirmed"), ("a", "closed")]


def test_a_refused_batch_is_kept_aside_not_retried(tmp_path: Path) -> None:
    hook = Hook([400])
    try:
        out = WebhookOutput(hook.url, tmp_path, FAST)
        out.send([_alert("a")])
        out.send([_alert("b")])
        assert out.flush(10)
        out.close()
    finally:
        hook.close()
    assert hook.received() == [("b", "confirmed")]
    refused = [json.loads(x) for x in (tmp_path / "webhook.refused.jsonl").read_text().splitlines()]
    assert [(r["alert_id"], r["refused"]) for r in refused] == [("a", "HTTP 400")]
    assert out.pending([_alert("a"), _alert("b")]) == [_alert("a")]  # never acknowledged


def test_a_webhook_url_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookOutput("ftp://example.org/x", tmp_path)


class _TakServer:
    """A TCP listener that collects CoT lines."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.lines: list[bytes] = []
        self.got = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            buf = b""
            while chunk := conn.recv(65536):
                buf += chunk
                *done, buf = buf.split(b"\n")
                self.lines += done
                if len(self.lines) >= 2:
                    self.got.set()
        self.sock.close()


def test_cot_markers_go_to_a_tak_server_and_a_retraction_makes_its_marker_stale(
    tmp_path: Path,
) -> None:
    tak = _TakServer()
    attempts: list[int] = []

    def connect(address: tuple[str, int], timeout: float) -> socket.socket:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionRefusedError("the TAK server is restarting")
        return socket.create_connection(address, timeout)

    out = CotOutput("127.0.0.1", tak.port, tmp_path, FAST, connect=connect)
    out.send([_alert("e1")])
    out.send([{"alert_id": "e1", "state": "retracted", "data_end": "2024-03-05T09:00:00Z"}])
    assert out.flush(10) and tak.got.wait(10)
    out.close()
    assert len(attempts) == 2 and out.counts["retries"] == 1
    events = [ET.fromstring(x) for x in tak.lines]
    assert [e.get("uid") for e in events] == ["WK-encounter-e1"] * 2
    point = events[0].find("point")
    assert point is not None and float(point.get("lat", "nan")) == pytest.approx(29.05)
    remarks = [e.findtext("detail/remarks") or "" for e in events]
    assert remarks[0].startswith("[confirmed]") and remarks[1].startswith("[retracted]")
    stale = datetime.fromisoformat(events[1].get("stale", "").replace("Z", "+00:00"))
    assert stale <= datetime.now(UTC)


def test_an_alert_without_a_position_has_no_marker() -> None:
    assert alert_cot({"alert_id": "x", "state": "retracted"}) is None
    assert alert_cot(_alert("x")) is not None


def test_watch_refuses_a_webhook_that_is_not_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from watchkeeper.cli import main

    feed = tmp_path / "feed.nmea"
    feed.write_text("")
    args = ["watch", "-w", str(tmp_path / "ws"), "--follow", str(feed), "--webhook", "ftp://x"]
    monkeypatch.setattr("sys.argv", ["watchkeeper", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code not in (0, None)
    err = capsys.readouterr().err
    assert "--webhook" in err and "Traceback" not in err


def test_alerts_published_to_the_service_move_through_their_states(tmp_path: Path) -> None:
    import sqlite3

    from watchkeeper.live.outputs import ServiceOutput
    from watchkeeper.serve.db import ServiceDB
    from watchkeeper.serve.markings import Marking
    from watchkeeper.serve.publish import publish_events

    db = ServiceDB(tmp_path / "service.sqlite")
    marking = Marking.parse("AMBER", ["JPN", "USA"])
    out = ServiceOutput(
        lambda ev: len(publish_events(db, ev, marking, by="live:test")), tmp_path / "outputs", FAST
    )
    out.send([_alert("a1", "provisional"), _alert("b2")])
    out.send([{"alert_id": "a1", "state": "retracted", "data_end": "2024-03-05T09:00:00Z"}])
    assert out.flush(10)
    out.close()
    con = sqlite3.connect(tmp_path / "service.sqlite")
    rows = dict(con.execute("SELECT event_id, details FROM pub_events").fetchall())
    assert json.loads(rows["a1"])["live_state"] == "retracted"  # marked, not silently gone
    assert json.loads(rows["b2"])["live_state"] == "confirmed"
    released = con.execute("SELECT DISTINCT partner FROM pub_release ORDER BY 1").fetchall()
    assert released == [("JPN",), ("USA",)]

"""Where live alerts go beyond the journal: a webhook and a Cursor-on-Target stream for TAK.

Each output delivers from a queue in a thread of its own, so a slow or dead receiver never
holds up storing or detection, and retries with exponential back-off (``OutputParams``).
Delivery is *at least once*: every alert the journal holds and a receiver has not
acknowledged is sent again after a restart. Each output keeps its own record of what was
acknowledged (``live/outputs/<name>.jsonl``: alert id and state, appended after the receiver
accepted it), so a restart sends only what that receiver missed; a receiver can de-duplicate
on (``alert_id``, ``state``), which never repeat with different content.

- **Webhook** (``--webhook URL``): each batch of alerts is one HTTP POST of
  ``{"alerts": [...]}`` (``application/json``); any 2xx accepts the batch; a connection
  error, a timeout, 408, 429 or a 5xx is retried; another 4xx is a permanent refusal
  (the batch goes to ``live/outputs/<name>.refused.jsonl`` with the status).
- **Cursor-on-Target** (``--cot HOST:PORT``): a TCP client to a TAK server's CoT input (e.g.
  FreeTAKServer, TAK Server's 8087 streaming port), one ``<event>`` per alert, as
  ``watchkeeper export events --format cot`` writes it; uid ``WK-<type>-<alert id>``, so
  each new state of an alert moves the same marker. A retraction makes the marker stale
  at once (its ``stale`` time is now). The connection is reopened with back-off.
"""

from __future__ import annotations

import json
import queue
import select
import socket
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from watchkeeper.live.alerts import read_jsonl
from watchkeeper.publish.cot import CotParams, event_cot
from watchkeeper.schema import EVENTS
from watchkeeper.tracks.build import parse_time

__all__ = [
    "CotOutput",
    "Delivery",
    "OutputParams",
    "QueuedOutput",
    "ServiceOutput",
    "WebhookOutput",
    "alert_cot",
]

Alerts = list[dict[str, Any]]


@dataclass(frozen=True)
class OutputParams:
    """Retry and back-off of an output."""

    # First retry after 0.5 s, doubling to at most 30 s: a receiver restarting (seconds) is
    # caught quickly, one down for long is not hammered (AWS's back-off guidance).
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    timeout_s: float = 10.0  # one request or connection attempt


class Delivery(Exception):  # noqa: N818 (an outcome, raised inside the output only)
    """A delivery attempt that failed; ``permanent``: retrying will not help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class QueuedOutput:
    """A queue of alert batches delivered in order by a thread, retried until accepted.

    Subclasses implement :meth:`deliver` (raise :class:`Delivery` on failure).
    """

    def __init__(self, name: str, state_dir: Path, params: OutputParams = OutputParams()) -> None:
        self.name = name
        self.params = params
        state_dir.mkdir(parents=True, exist_ok=True)
        self.acked_path = state_dir / f"{name}.jsonl"
        self.refused_path = state_dir / f"{name}.refused.jsonl"
        self.counts: Counter[str] = Counter()
        self._queue: queue.Queue[Alerts | None] = queue.Queue()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._bodies: dict[str, dict[str, Any]] = {}  # alert id: its last alert with a body
        self._thread = threading.Thread(target=self._run, name=f"output-{name}", daemon=True)
        self._thread.start()

    # -- the watcher's side ---------------------------------------------------------------

    def pending(self, journal: Alerts) -> Alerts:
        """Journal records this output has not acknowledged (sent again after a restart); the
        journal also gives each alert's last body, for a later retraction of it."""
        for rec in journal:
            self.with_body(rec)
        done = {(r["alert_id"], r["state"]) for r in read_jsonl(self.acked_path)}
        return [r for r in journal if (r["alert_id"], r["state"]) not in done]

    def with_body(self, alert: dict[str, Any]) -> dict[str, Any] | None:
        """``alert`` with its event (type, vessels, times, place): a retraction carries only
        its id and state, and takes the body its alert last had; None when never seen."""
        aid = str(alert["alert_id"])
        if alert.get("type") is not None:
            self._bodies[aid] = alert
            return alert
        body = self._bodies.get(aid)
        return None if body is None else {**body, "state": alert["state"]}

    def send(self, alerts: Alerts) -> None:
        """Queue ``alerts`` for delivery (returns at once)."""
        if alerts:
            self._idle.clear()
            self._queue.put(list(alerts))

    def flush(self, timeout_s: float) -> bool:
        """Wait until every queued batch is delivered or refused; False on timeout."""
        return self._idle.wait(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Deliver what is queued (up to ``timeout_s``), then stop; the rest is sent again
        at the next start (it is not acknowledged)."""
        self.flush(timeout_s)
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout_s)
        self.disconnect()

    # -- the thread's side ----------------------------------------------------------------

    def deliver(self, alerts: Alerts) -> None:
        """Deliver one batch; raise :class:`Delivery` when it was not accepted."""
        raise NotImplementedError

    def disconnect(self) -> None:
        """Release a connection, if the output holds one."""

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            self._attempt(batch)
            if self._queue.empty():
                self._idle.set()

    def _attempt(self, batch: Alerts) -> None:
        wait = self.params.backoff_s
        while not self._stop.is_set():
            try:
                self.deliver(batch)
            except Delivery as exc:
                if exc.permanent:
                    self.counts["refused"] += len(batch)
                    _append(self.refused_path, [{**a, "refused": str(exc)} for a in batch])
                    return
                self.counts["retries"] += 1
                self._stop.wait(wait)
                wait = min(wait * 2.0, self.params.max_backoff_s)
                continue
            self.counts["delivered"] += len(batch)
            _append(
                self.acked_path, [{"alert_id": a["alert_id"], "state": a["state"]} for a in batch]
            )
            return


def _append(path: Path, records: Alerts) -> None:
    with path.open("a") as f:
        f.write("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))


class WebhookOutput(QueuedOutput):
    """Alerts POSTed as JSON to a URL (module docstring)."""

    def __init__(
        self, url: str, state_dir: Path, params: OutputParams = OutputParams(), name: str = ""
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"a webhook URL starts with http:// or https://, got {url!r}")
        self.url = url
        super().__init__(name or "webhook", state_dir, params)

    def deliver(self, alerts: Alerts) -> None:
        body = json.dumps({"alerts": alerts}, sort_keys=True).encode()
        req = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "watchkeeper-watch"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.params.timeout_s) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            retry = exc.code in (408, 429) or exc.code >= 500
            raise Delivery(f"HTTP {exc.code}", permanent=not retry) from None
        except (urllib.error.URLError, OSError) as exc:
            raise Delivery(str(exc)) from None


def alert_cot(alert: dict[str, Any], params: CotParams | None = None) -> ET.Element | None:
    """An alert as a CoT marker (the event's marker, its state in the remarks); a
    retraction makes the marker stale now. None when the alert has no position."""
    if alert.get("lat") is None or alert.get("lon") is None:
        return None
    ev = event_cot(_event_row(alert, alert["state"]), params)
    if ev is None:
        return None
    remarks = ev.find("detail/remarks")
    if remarks is not None:
        remarks.text = f"[{alert['state']}] {remarks.text}"
    if alert["state"] == "retracted":
        now = datetime.now(UTC)
        ev.set("stale", now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z")
    return ev


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether the other end closed the connection (readable, and a read gives end of
    stream). TCP gives no acknowledgement of CoT lines: a write into a connection the server
    has closed may still succeed once, and this check narrows that window."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class CotOutput(QueuedOutput):
    """Alerts as CoT events over a TCP connection (module docstring)."""

    def __init__(
        self,
        host: str,
        port: int,
        state_dir: Path,
        params: OutputParams = OutputParams(),
        *,
        cot: CotParams | None = None,
        connect: Callable[[tuple[str, int], float], socket.socket] = socket.create_connection,
    ) -> None:
        self.address = (host, port)
        self.cot = cot
        self._dial = connect
        self._sock: socket.socket | None = None
        super().__init__("cot", state_dir, params)

    def deliver(self, alerts: Alerts) -> None:
        data = b"".join(self._encode(a) for a in alerts)
        if not data:
            return
        try:
            if self._sock is not None and _closed_by_peer(self._sock):
                self.disconnect()  # a server that hung up: reconnect rather than write into it
            if self._sock is None:
                self._sock = self._dial(self.address, self.params.timeout_s)
            self._sock.sendall(data)
        except OSError as exc:
            self.disconnect()
            raise Delivery(str(exc)) from None

    def _encode(self, alert: dict[str, Any]) -> bytes:
        """One CoT line; a retraction (no position of its own) moves the marker it had."""
        full = self.with_body(alert)
        ev = None if full is None else alert_cot(full, self.cot)
        if ev is None:
            self.counts["no_position"] += 1
            return b""
        return bytes(ET.tostring(ev, encoding="utf-8")) + b"\n"

    def disconnect(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None


class ServiceOutput(QueuedOutput):
    """Alerts published to the coalition service (docs/service.md) with one marking: each
    alert's event is published as an event of the service, its live state in its details
    (``live_state``), so a partner following the feed sees it appear, move on and, when late
    data disproves it, marked ``retracted`` rather than silently gone. Every batch is a line
    of the service's audit log."""

    def __init__(
        self,
        publish: Callable[[pa.Table], int],
        state_dir: Path,
        params: OutputParams = OutputParams(),
    ) -> None:
        self._publish = publish
        super().__init__("service", state_dir, params)

    def deliver(self, alerts: Alerts) -> None:
        full = (self.with_body(a) for a in alerts)
        rows = [_event_row(a, a["state"]) for a in full if a is not None]
        if not rows:
            return
        try:
            self._publish(pa.Table.from_pylist(rows, schema=EVENTS))
        except Exception as exc:
            raise Delivery(f"{type(exc).__name__}: {exc}") from None


def _event_row(alert: dict[str, Any], state: str) -> dict[str, Any]:
    """The EVENTS row of an alert, its live state added to its details."""
    raw = alert.get("details") or {}
    details = dict(json.loads(raw) if isinstance(raw, str) else raw)
    details["live_state"] = state
    return {
        "event_id": alert["alert_id"],
        "type": alert["type"],
        "mmsi": alert["mmsi"],
        "other_mmsi": alert.get("other_mmsi"),
        "start": parse_time(alert["start"]),
        "end": None if alert.get("end") is None else parse_time(alert["end"]),
        "lat": alert.get("lat"),
        "lon": alert.get("lon"),
        "confidence": alert.get("confidence"),
        "risk": alert.get("risk"),
        "details": json.dumps(details, sort_keys=True, default=str),
        "evidence": json.dumps(alert.get("evidence") or {}, sort_keys=True, default=str),
    }

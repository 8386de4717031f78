"""Shared helpers of the live tests: a free port, sorted position tables, a webhook."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pyarrow as pa

from watchkeeper.store.workspace import Workspace


def free_port() -> int:
    """A TCP/UDP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def positions(ws: Workspace, *, drop: tuple[str, ...] = ()) -> pa.Table:
    """Every stored position, in a total order (for equality), without ``drop`` columns."""
    t = ws.positions()
    t = t.select([c for c in t.column_names if c not in drop])
    return t.sort_by([(c, "ascending") for c in t.column_names])


class Hook:
    """A webhook receiver that answers ``statuses`` in turn (then 200) and keeps bodies."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []
        self.calls = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.calls += 1
                status = hook.statuses.pop(0) if hook.statuses else 200
                if status == 200:
                    hook.bodies.append(json.loads(body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self) -> list[tuple[str, str]]:
        return [(a["alert_id"], a["state"]) for b in self.bodies for a in b["alerts"]]

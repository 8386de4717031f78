"""Shared helpers of the live tests: a free port, sorted position tables."""

from __future__ import annotations

import socket

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

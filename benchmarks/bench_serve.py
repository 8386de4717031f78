"""The coalition service under load: 50 concurrent clients on loopback querying events.

A workspace with 1,000,000 synthetic events (seeded: 20,000 vessels, nine event types, 30
days over the East China Sea and Yellow Sea, 115-135 E, 20-42 N) is published in bulk to one
partner, then served by ``watchkeeper serve`` (one uvicorn worker, embedded SQLite, audit log
on). 50 clients on keep-alive connections each loop for 20 s over OGC API Features queries
``/collections/events/items?bbox=<1 degree box>&datetime=<1 day>&limit=100`` with the
partner's key (each answer holds ``numberMatched`` and up to 100 features). Reported: p50 and
p99 latency and requests/s. The client shares the machine's two cores with the server.

Baseline, measured in the same run: the same queries called in-process through the domain
function (``query.events_page``: SQL with the releases joined, no HTTP, no auth, no audit),
one at a time, so the difference is what HTTP, JSON, auth and the audit line cost.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.schema import EVENT_TYPES, EVENTS
from watchkeeper.serve import query
from watchkeeper.serve.db import ServiceDB
from watchkeeper.serve.markings import Marking
from watchkeeper.serve.partners import add_partner
from watchkeeper.serve.publish import publish
from watchkeeper.serve.settings import ServeSettings
from watchkeeper.store import Workspace

N_EVENTS = int(os.environ.get("WATCHKEEPER_BENCH_SERVE_EVENTS", "1000000"))
N_VESSELS = 20_000
CLIENTS = 50
DURATION_S = float(os.environ.get("WATCHKEEPER_BENCH_SERVE_S", "20"))
SEED = 13
T0 = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = 30
LON, LAT = (115.0, 135.0), (20.0, 42.0)


def synthetic_events(n: int, seed: int = SEED) -> pa.Table:
    """``n`` events with the EVENTS schema, spread over the area and the 30 days."""
    rng = np.random.default_rng(seed)
    start = T0.timestamp() * 1000 + rng.uniform(0, DAYS * 86400e3, n)
    dur = rng.uniform(0.5, 12.0, n) * 3600e3
    types = np.array(EVENT_TYPES)[rng.integers(0, len(EVENT_TYPES), n)]
    mmsi = rng.integers(200_000_000, 200_000_000 + N_VESSELS, n)
    pair = np.isin(types, ["encounter", "dark_sts"])
    other = np.where(pair, rng.integers(200_000_000, 200_000_000 + N_VESSELS, n), 0)
    return pa.table(
        {
            "event_id": [f"{i:024x}" for i in rng.permutation(n)],
            "type": types,
            "mmsi": mmsi,
            "other_mmsi": pa.array(other, mask=~pair),
            "start": pa.array(start.astype("int64"), pa.int64()).cast(EVENTS.field("start").type),
            "end": pa.array((start + dur).astype("int64")).cast(EVENTS.field("end").type),
            "lat": rng.uniform(*LAT, n),
            "lon": rng.uniform(*LON, n),
            "confidence": rng.uniform(0.5, 1.0, n).astype("float32"),
            "risk": np.zeros(n, dtype="float32"),
            "details": ['{"duration_h": %.1f}' % (d / 3600e3) for d in dur],
            "evidence": ["{}"] * n,
        },
        schema=EVENTS,
    )


def queries(n: int, seed: int) -> list[dict[str, str]]:
    """Random 1-degree boxes and 1-day windows inside the data."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        x, y = rng.uniform(LON[0], LON[1] - 1), rng.uniform(LAT[0], LAT[1] - 1)
        day = rng.randrange(DAYS - 1)
        a = T0.timestamp() + day * 86400
        iso = [
            datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for t in (a, a + 86400)
        ]
        out.append({"bbox": f"{x:.3f},{y:.3f},{x + 1:.3f},{y + 1:.3f}", "datetime": "/".join(iso)})
    return out


async def _client(host: str, port: int, key: str, seed: int, stop: float, lat: list[float]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    mine = queries(200, seed)  # made before the clock starts: the client measures the server
    for i in itertools.count():
        if time.perf_counter() >= stop:
            break
        q = mine[i % len(mine)]
        path = f"/collections/events/items?bbox={q['bbox']}&datetime={q['datetime']}&limit=100"
        req = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
            "Connection: keep-alive\r\n\r\n"
        )
        t = time.perf_counter()
        writer.write(req.encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        lat.append(time.perf_counter() - t)
        errors += status != 200
    writer.close()
    return errors


async def _load(port: int, key: str) -> dict[str, Any]:
    lat: list[float] = []
    start = time.perf_counter()
    # each client's queries are drawn before it connects (see _client)
    stop = start + DURATION_S
    errors = await asyncio.gather(
        *[_client("127.0.0.1", port, key, SEED + i, stop, lat) for i in range(CLIENTS)]
    )
    wall = time.perf_counter() - start
    ms = sorted(x * 1000 for x in lat)
    return {
        "clients": CLIENTS,
        "requests": len(ms),
        "errors": sum(errors),
        "requests_per_s": round(len(ms) / wall, 1),
        "p50_ms": round(ms[len(ms) // 2], 1),
        "p99_ms": round(ms[int(len(ms) * 0.99)], 1),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the service did not start")


def run() -> dict[str, Any]:
    """Build, publish, serve, load; returns the numbers."""
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        ws = Workspace(Path(tmp) / "ws")
        t = time.perf_counter()
        ws.write_events(synthetic_events(N_EVENTS))
        build_s = time.perf_counter() - t
        settings = ServeSettings(Path(tmp) / "ws")
        db = ServiceDB(settings.database_path)
        _, key = add_partner(db, "AAA", name="bench")
        add_partner(db, "BBB", name="other")
        t = time.perf_counter()
        publish(db, ws, Marking.parse("amber", ["AAA"]), all_events=True, by="bench")
        publish_s = time.perf_counter() - t
        base = []
        for q in queries(200, SEED + 999):
            f = query.EventFilter(
                bbox=query.parse_bbox(q["bbox"]), interval=query.parse_datetime(q["datetime"])
            )
            t = time.perf_counter()
            query.events_page(db, "AAA", f, limit=100, offset=0)
            base.append((time.perf_counter() - t) * 1000)
        port = _free_port()
        log = (Path(tmp) / "serve.log").open("wb")
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from watchkeeper.cli import main; main()",
                "serve",
                "-w",
                str(settings.workspace),
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait(port)
            loaded = asyncio.run(_load(port, key))
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
            print((Path(tmp) / "serve.log").read_text()[-3000:], file=sys.stderr)
        audit_lines = sum(1 for _ in settings.audit_path.open("rb"))
    return {
        "events": N_EVENTS,
        "build_workspace_s": round(build_s, 1),
        "publish_all_s": round(publish_s, 1),
        "http": loaded,
        "audit_lines": audit_lines,
        "baseline_in_process": {
            "queries": len(base),
            "p50_ms": round(statistics.median(base), 2),
            "p99_ms": round(sorted(base)[int(len(base) * 0.99)], 2),
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))

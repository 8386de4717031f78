"""The coalition service under load: 50 concurrent clients on loopback querying events.

A workspace with 1,000,000 synthetic events (seeded: 20,000 vessels, nine event types, 30
days over the East China Sea and Yellow Sea, 115-135 E, 20-42 N) is published in bulk to one
partner, then served by ``watchkeeper serve`` (one uvicorn worker, audit log on), once per
backend of the service database: ``embedded`` (the SQLite file beside the workspace) and
``postgresql`` (PostgreSQL as Debian installs it, a local server on a unix socket, with
``synchronous_commit=off`` to match the embedded file's WAL with ``synchronous=NORMAL``;
the column is left out, with a message, where PostgreSQL is not installed). 50 clients on
keep-alive connections each loop for 20 s over OGC API Features queries
``/collections/events/items?bbox=<1 degree box>&datetime=<1 day>&limit=100`` with the
partner's key (each answer holds ``numberMatched`` and up to 100 features). Reported: p50 and
p99 latency and requests/s. Clients, server and database share the machine's two cores.

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
import shutil
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
from watchkeeper.serve import pg_local, query
from watchkeeper.serve.db import open_service_db
from watchkeeper.serve.markings import Marking
from watchkeeper.serve.partners import add_partner
from watchkeeper.serve.publish import publish
from watchkeeper.serve.settings import ServeSettings
from watchkeeper.store import Workspace

SIDE_BY_SIDE = ("backends",)  # benchmarks/run.py shows one column per backend
N_EVENTS = int(os.environ.get("WATCHKEEPER_BENCH_SERVE_EVENTS", "1000000"))
N_VESSELS = 20_000
CLIENTS = 50
DURATION_S = float(os.environ.get("WATCHKEEPER_BENCH_SERVE_S", "20"))
SEED = 13
# The PostgreSQL server as installed (defaults: 128 MB shared_buffers, fsync on) but for
# synchronous_commit off: a commit returns before its WAL is flushed, like the embedded
# database's WAL with synchronous=NORMAL (a crash may lose the last commits, never corrupts).
PG_SETTINGS = {"synchronous_commit": "off"}
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


def _serve(settings: ServeSettings, tmp: Path, key: str) -> dict[str, Any]:
    """``watchkeeper serve`` on the settings' workspace and database, loaded by the clients."""
    port = _free_port()
    cmd = [sys.executable, "-c", "from watchkeeper.cli import main; main()", "serve"]
    cmd += ["-w", str(settings.workspace), "--port", str(port)]
    if settings.database_url is not None:
        cmd += ["--database", settings.database_url]
    log_path = tmp / f"serve-{settings.backend}.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        try:
            _wait(port)
            return asyncio.run(_load(port, key))
        finally:
            server.terminate()
            server.wait(timeout=30)
            print(log_path.read_text()[-3000:], file=sys.stderr)


def _backend(settings: ServeSettings, tmp: Path) -> dict[str, Any]:
    """Partners, bulk publication, the in-process baseline and the load, on one backend."""
    ws = Workspace(settings.workspace, create=False, read_only=True)
    db = open_service_db(settings)
    _, key = add_partner(db, "AAA", name="bench")
    add_partner(db, "BBB", name="other")
    t = time.perf_counter()
    publish(db, ws, Marking.parse("amber", ["AAA"]), all_events=True, by="bench")
    publish_s = time.perf_counter() - t
    if settings.backend == "postgresql":
        # statistics for the planner, as autovacuum gathers them within a minute of a bulk
        # load; measured from a fresh table they would depend on when the run starts
        with db.session() as con:
            con.execute("ANALYZE")
    base = []
    for q in queries(200, SEED + 999):
        f = query.EventFilter(
            bbox=query.parse_bbox(q["bbox"]), interval=query.parse_datetime(q["datetime"])
        )
        t = time.perf_counter()
        query.events_page(db, "AAA", f, limit=100, offset=0)
        base.append((time.perf_counter() - t) * 1000)
    loaded = _serve(settings, tmp, key)
    return {
        "publish_all_s": round(publish_s, 1),
        "http": loaded,
        "audit_lines": sum(1 for _ in settings.audit_path.open("rb")),
        "baseline_in_process": {
            "queries": len(base),
            "p50_ms": round(statistics.median(base), 2),
            "p99_ms": round(sorted(base)[int(len(base) * 0.99)], 2),
        },
    }


def run() -> dict[str, Any]:
    """Build the workspace, then publish, serve and load it on each backend."""
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as name:
        tmp = Path(name)
        ws = Workspace(tmp / "ws")
        t = time.perf_counter()
        ws.write_events(synthetic_events(N_EVENTS))
        build_s = time.perf_counter() - t
        # each backend serves its own copy: the audit log lives beside the workspace
        shutil.copytree(tmp / "ws", tmp / "ws-pg")
        backends = {"embedded": _backend(ServeSettings(tmp / "ws"), tmp)}
        why = pg_local.unavailable()
        if why is not None:
            print(f"PostgreSQL column skipped: {why}", file=sys.stderr)
        else:
            with pg_local.local_cluster(settings=PG_SETTINGS) as cluster:
                url = cluster.create_database("bench")
                backends["postgresql"] = _backend(ServeSettings(tmp / "ws-pg", url), tmp)
    return {"events": N_EVENTS, "build_workspace_s": round(build_s, 1), "backends": backends}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))

"""The ``served`` fixture: a small detected workspace shared by partners AAA, BBB and PUB.

Built once per test session (per xdist worker): the simulator's tiny East China Sea scenario
(2 days, five background vessels and every planted case), stored as ingest would store it,
detected, screened against the scenario's list; then partners AAA and BBB (read) and PUB
(publish), one event released to AAA only (TLP AMBER), and one event and one vessel case
released to AAA and BBB (TLP GREEN). The A-only event is chosen so that nothing released to
BBB names either of its vessels (no track, report or pair event of B's reaches it).

Each test taking ``served`` (or ``service_db``) runs on both backends of the service
database: the embedded SQLite file and PostgreSQL (a throwaway cluster started once per
session and worker; those variants are marked ``postgres`` and skip with the reason when
PostgreSQL is not installed).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from watchkeeper.assess.vessels import build_vessels, screen_workspace
from watchkeeper.context.sanctions import add_list, read_list
from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.run import detect_workspace
from watchkeeper.serve.app import create_app
from watchkeeper.serve.db import ServiceDB, open_service_db
from watchkeeper.serve.markings import Marking
from watchkeeper.serve.partners import add_partner
from watchkeeper.serve.pg_local import LocalCluster, local_cluster, unavailable
from watchkeeper.serve.publish import publish
from watchkeeper.serve.settings import ServeSettings
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import ScenarioConfig, TrafficConfig
from watchkeeper.store import Workspace

TINY = TrafficConfig(n_cargo=2, n_tanker=2, n_fishing=1, n_pair_trawl=0, n_reefer=0, n_bunker=0)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_databases = itertools.count()


@dataclass
class Served:
    """The served workspace, its app, the partners' keys and the ids the tests look for."""

    app: FastAPI
    keys: dict[str, str]
    only_a_event_id: str
    shared_event_id: str
    shared_mmsi: int
    workspace: Path
    settings: ServeSettings

    def client(self, code: str | None = None) -> TestClient:
        """A test client sending ``code``'s key (none if None)."""
        headers = {"Authorization": f"Bearer {self.keys[code]}"} if code else {}
        return TestClient(self.app, headers=headers)


def build_workspace(root: Path, seed: int = 3) -> Workspace:
    """Simulate, store, detect, screen: a workspace with events and vessel cases."""
    sim = root / "sim"
    simulate(ScenarioConfig(seed=seed, days=2.0, traffic=TINY), sim)
    ws = Workspace(root / "ws")
    for layer in ("positions", "identities"):
        w = ws.writer(layer, "sim")
        w.write(pq.read_table(sim / "truth" / f"{layer}.parquet"))
        w.close()
    detect_workspace(ws, params=DetectParams(port_files=(str(sim / "ports.csv"),)))
    add_list(ws, read_list(sim / "sanctions.ftm.json"))
    screen_workspace(ws)
    build_vessels(ws)
    return ws


def _named(ev: dict[str, Any]) -> set[int]:
    return {m for m in (ev["mmsi"], ev["other_mmsi"]) if m is not None}


def choose(ws: Workspace) -> tuple[int, str, str]:
    """(shared vessel case, shared event, A-only event) so that B's items never name the
    A-only event's vessels."""
    events = ws.events()
    vessels = ws.vessels()
    assert events is not None and vessels is not None
    rows = [e for e in events.to_pylist() if e["lat"] is not None]
    risky = sorted(vessels.to_pylist(), key=lambda v: (-(v["risk"] or 0), v["mmsi"]))
    shared_mmsi = int(risky[0]["mmsi"])
    case_vessels = {shared_mmsi}
    for e in rows:
        if shared_mmsi in _named(e):
            case_vessels |= _named(e)
    rest = [e for e in rows if not _named(e) & case_vessels]
    shared_event = rest[0]
    b_vessels = case_vessels | _named(shared_event)
    only_a = next(e for e in rest if not _named(e) & b_vessels)
    return shared_mmsi, shared_event["event_id"], only_a["event_id"]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    """A throwaway PostgreSQL cluster for the session (skips when none can start)."""
    why = unavailable()
    if why is not None:
        pytest.skip(f"PostgreSQL variant skipped: {why}")
    with local_cluster() as cluster:
        yield cluster


def new_database(cluster: LocalCluster) -> str:
    """The URL of a new, empty database in the cluster."""
    return cluster.create_database(f"wk_{os.getpid()}_{next(_databases)}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test naming ``served`` or ``service_db`` on both backends (a test that asks
    for ``served`` at run time, with ``request.getfixturevalue``, gets the SQLite one)."""
    if "served" in metafunc.fixturenames:
        metafunc.parametrize("served", BACKENDS, indirect=True, scope="session")
    elif "service_db" in metafunc.fixturenames:
        metafunc.parametrize("service_db", BACKENDS, indirect=True)


def _backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def service_db(request: pytest.FixtureRequest, tmp_path: Path) -> ServiceDB:
    """An empty service database: a SQLite file in ``tmp_path``, or a new PostgreSQL one."""
    if _backend(request) == "sqlite":
        return ServiceDB(tmp_path / "service.sqlite")
    url = new_database(request.getfixturevalue("pg_cluster"))
    return open_service_db(ServeSettings(tmp_path, database_url=url))


@pytest.fixture(scope="session")
def detected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[int, str, str]]:
    """The detected workspace (built once) and the ids :func:`choose` picks in it."""
    root = tmp_path_factory.mktemp("detected")
    ws = build_workspace(root)
    return root / "ws", choose(ws)


@pytest.fixture(scope="session")
def served(
    request: pytest.FixtureRequest,
    detected: tuple[Path, tuple[int, str, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Served:
    """The workspace served to AAA, BBB and PUB (see the module docstring), with the service
    database in SQLite or PostgreSQL; each backend serves its own copy of the workspace, so
    their audit logs and embedded files stay apart."""
    source, (shared_mmsi, shared_event, only_a) = detected
    backend = _backend(request)
    path = tmp_path_factory.mktemp(f"served-{backend}") / "ws"
    shutil.copytree(source, path)
    url = None
    if backend == "postgresql":
        url = new_database(request.getfixturevalue("pg_cluster"))
    settings = ServeSettings(workspace=path, database_url=url)
    db = open_service_db(settings)
    ws = Workspace(path)
    keys = {
        "AAA": add_partner(db, "AAA", name="Partner A")[1],
        "BBB": add_partner(db, "BBB", name="Partner B")[1],
        "PUB": add_partner(db, "PUB", name="Publisher", scope="publish")[1],
    }
    publish(db, ws, Marking.parse("amber", ["AAA"]), event_id=only_a, by="test")
    green = Marking.parse("green", ["AAA", "BBB"])
    publish(db, ws, green, event_id=shared_event, by="test")
    publish(db, ws, green, mmsi=shared_mmsi, by="test")
    return Served(
        app=create_app(settings),
        keys=keys,
        only_a_event_id=only_a,
        shared_event_id=shared_event,
        shared_mmsi=shared_mmsi,
        workspace=path,
        settings=settings,
    )


@pytest.fixture(scope="session")
def live_url(served: Served) -> Iterator[str]:
    """The served app on a loopback port (uvicorn in a thread), for outside clients."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(served.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start in 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)

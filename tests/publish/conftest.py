"""Fixture: a case workspace from real data (see ``publish_case``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from publish_case import NOAA, SDN, planted_events

from watchkeeper import Workspace, ingest_files
from watchkeeper.assess.vessels import build_vessels, screen_workspace
from watchkeeper.context.sanctions import add_list, read_list


@pytest.fixture(scope="session")
def case_ws(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """NOAA positions, OFAC list, screening, planted events and the vessels table."""
    ws = Workspace(tmp_path_factory.mktemp("case") / "ws")
    ingest_files([shared_data / NOAA], ws)
    add_list(ws, read_list(shared_data / SDN))
    screen_workspace(ws)
    ws.write_table("events", planted_events(ws))
    build_vessels(ws)
    return ws


@pytest.fixture(scope="session")
def noaa_sha256(shared_data: Path) -> str:
    """SHA-256 of the NOAA source file, computed here independently of watchkeeper."""
    return hashlib.sha256((shared_data / NOAA).read_bytes()).hexdigest()

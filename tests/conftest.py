"""Shared fixtures: the real public data in ``../shared/data`` and a fresh workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeeper import Workspace

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public AIS, ports and sanctions files (read-only); tests that need
    it skip, with this message, on a clone without it (unit tests use tests/data)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-data test: ../shared/data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace in a temporary folder."""
    return Workspace(tmp_path / "ws")

"""``watchkeeper partners``, ``publish`` and ``audit`` on a workspace, as a user types them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import Served, new_database
from watchkeeper.cli import app


@pytest.fixture
def ws(served: Served, tmp_path: Path, request: pytest.FixtureRequest) -> list[str]:
    """``-w`` a copy of the served workspace, and ``--database`` a new PostgreSQL database
    when the served backend is PostgreSQL (the copy's audit log then starts anew with it)."""
    path = tmp_path / "ws"
    shutil.copytree(served.workspace, path)
    if served.settings.backend == "sqlite":
        return ["-w", str(path)]
    (path / "audit.jsonl").unlink(missing_ok=True)
    return ["-w", str(path), "--database", new_database(request.getfixturevalue("pg_cluster"))]


def test_partners_add_prints_key_last(ws: list[str]) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["partners", "add", "JPN", "--name", "Japan", *ws])
    assert out.exit_code == 0, out.output
    key = out.output.strip().splitlines()[-1]
    assert key.startswith("wk_") and len(key) > 40
    listed = runner.invoke(app, ["partners", "list", *ws])
    assert "JPN" in listed.output and key not in listed.output
    assert runner.invoke(app, ["partners", "revoke", "JPN", *ws]).exit_code == 0


def test_publish_and_audit(ws: list[str], served: Served) -> None:
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            "publish",
            *ws,
            "--event",
            served.shared_event_id,
            "--tlp",
            "amber",
            "--rel-to",
            "USA,JPN",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "1 event(s) as TLP:AMBER REL TO JPN, USA" in out.output
    bad = runner.invoke(app, ["publish", *ws, "--top", "1", "--tlp", "red", "--rel-to", "ALL"])
    assert bad.exit_code == 1
    verify = runner.invoke(app, ["audit", *ws, "--verify"])
    assert verify.exit_code == 0, verify.output

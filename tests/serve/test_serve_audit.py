"""The audit log: every API request is a line; the chain verifies; a changed, removed or
cut line is reported (and ``watchkeeper audit --verify`` exits 1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from conftest import Served
from watchkeeper.cli import app as cli
from watchkeeper.serve.audit import AuditLog
from watchkeeper.serve.db import ServiceDB, open_service_db


def _log(tmp_path: Path, n: int = 5, db: ServiceDB | None = None) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl", db or ServiceDB(tmp_path / "service.sqlite"))
    for i in range(n):
        log.append(
            who="AAA",
            action="read",
            target=f"GET /x/{i}",
            status=200,
            marking={"tlp": "AMBER", "rel_to": ["AAA"]},
        )
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text("utf-8").splitlines(keepends=True)


def test_intact_chain_verifies(tmp_path: Path) -> None:
    log = _log(tmp_path)
    result = log.verify()
    assert result.ok and result.lines == 5 and result.head_seq == 5


def test_changed_line(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    rec = json.loads(lines[2])
    rec["who"] = "BBB"
    lines[2] = json.dumps(rec, sort_keys=True, separators=(",", ":")) + "\n"
    log.path.write_text("".join(lines), "utf-8")
    problems = log.verify().problems
    assert problems == ["line 3: changed (its hash does not match its content)"]


def test_removed_line(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    del lines[1]
    log.path.write_text("".join(lines), "utf-8")
    assert log.verify().problems == ["line 2: seq 3 follows seq 1: 1 line(s) removed before it"]


def test_removed_last_line(tmp_path: Path, service_db: ServiceDB) -> None:
    log = _log(tmp_path, db=service_db)
    log.path.write_text("".join(_lines(log)[:-1]), "utf-8")
    problems = log.verify().problems
    assert problems == ["lines removed at the end: the head records seq 5, the log ends at seq 4"]


def test_appends_continue_the_chain_across_instances(tmp_path: Path, service_db: ServiceDB) -> None:
    _log(tmp_path, 3, service_db)
    other = _log(tmp_path, 2, service_db)  # a second writer (another process) appends after
    assert other.verify().ok and other.verify().lines == 5


def test_every_request_is_audited(served: Served, tmp_path: Path) -> None:
    log = AuditLog(served.settings.audit_path, open_service_db(served.settings))
    before = log.verify().lines
    served.client("AAA").get(f"/collections/events/items/{served.only_a_event_id}")
    served.client("BBB").get(f"/collections/events/items/{served.only_a_event_id}")
    served.client().get("/api/v1/me")
    records = [json.loads(x) for x in _lines(log)[before:]]
    assert [(r["who"], r["status"]) for r in records] == [("AAA", 200), ("BBB", 404), ("-", 401)]
    assert records[0]["marking"] == {"tlp": "AMBER", "rel_to": ["AAA"]}
    assert records[0]["target"].endswith(served.only_a_event_id)
    assert log.verify().ok


def test_cli_verify_reports_tampering(served: Served, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(served.workspace, ws)
    # on PostgreSQL the copy's log goes with the served database, which holds its head
    args = ["audit", "-w", str(ws), "--verify"]
    if served.settings.database_url is not None:
        args += ["--database", served.settings.database_url]
    runner = CliRunner()
    ok = runner.invoke(cli, args)
    assert ok.exit_code == 0, ok.output
    assert "chain intact" in ok.output
    path = ws / "audit.jsonl"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace('"status":', '"status":1', 1)
    path.write_text("".join(lines), "utf-8")
    bad = runner.invoke(cli, args)
    assert bad.exit_code == 1
    assert "line 1: changed" in bad.output

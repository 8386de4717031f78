"""The service database in PostgreSQL: the SQL translation, the backend chosen by the URL,
and what only a server database has to get right (concurrent writers, reconnecting).

Every behaviour test of ``tests/serve`` (partners A and B, publish, alerts, OGC items,
feedback, audit) also runs on PostgreSQL through the ``served`` and ``service_db`` fixtures
(conftest.py); the cluster tests here skip with the reason when PostgreSQL is absent.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conftest import Served, new_database
from watchkeeper.errors import ConfigError
from watchkeeper.serve.db import ServiceDB, open_service_db
from watchkeeper.serve.db_postgres import PostgresServiceDB, translate
from watchkeeper.serve.pg_local import LocalCluster
from watchkeeper.serve.settings import ServeSettings


def test_translate_placeholders_and_literals() -> None:
    sql, ret = translate("SELECT * FROM t WHERE a = :a AND b = ? AND c LIKE 'x:y%?' AND d::text")
    assert sql == "SELECT * FROM t WHERE a = %(a)s AND b = %s AND c LIKE 'x:y%%?' AND d::text"
    assert ret is None
    assert translate("SELECT a % 2 FROM t")[0] == "SELECT a %% 2 FROM t"
    assert translate("SELECT 'it''s :x'")[0] == "SELECT 'it''s :x'"


def test_translate_upserts_aggregates_and_returning() -> None:
    sql, _ = translate("INSERT OR REPLACE INTO partners (code, name) VALUES (?, ?)")
    assert sql == (
        "INSERT INTO partners (code, name) VALUES (%s, %s) "
        "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name"
    )
    assert translate("INSERT OR IGNORE INTO meta (key) VALUES (?)")[0].endswith(
        "ON CONFLICT DO NOTHING"
    )
    with pytest.raises(ConfigError, match="conflict key"):
        translate("INSERT OR REPLACE INTO pub_release (kind) VALUES (?)")
    sql, ret = translate("INSERT INTO feedback (event_id) VALUES (?)")
    assert sql.endswith("RETURNING feedback_id") and ret == "feedback_id"
    assert translate("SELECT group_concat(p, ',') FROM r")[0] == "SELECT string_agg(p, ',') FROM r"


def test_scheme_selects_the_backend(tmp_path: Path) -> None:
    pg = open_service_db(ServeSettings(tmp_path, database_url="postgresql://u@h/db"))
    assert isinstance(pg, PostgresServiceDB) and not pg.has_rtree
    lite = open_service_db(ServeSettings(tmp_path))
    assert type(lite) is ServiceDB and lite.path == tmp_path / "service.sqlite"
    s = ServeSettings(tmp_path, database_url="postgres://u@h/db")
    assert s.backend == "postgresql" and s.audit_path == tmp_path / "audit.jsonl"
    with pytest.raises(ConfigError, match="PostgreSQL"):
        _ = s.database_path


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"postgresql://nobody@/none?host={tmp_path}&port=1"  # no socket there
    with pytest.raises(ConfigError, match="cannot connect to the service database"):
        open_service_db(ServeSettings(tmp_path, database_url=url)).ensure()


@pytest.mark.postgres
def test_concurrent_writers_get_distinct_change_numbers(pg_cluster: LocalCluster) -> None:
    """Writers in several threads (each its own connection) never share a ``seq``: the
    advisory lock serialises them as BEGIN IMMEDIATE does in SQLite."""
    db = PostgresServiceDB(new_database(pg_cluster))
    got: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(20):
                with db.write() as con:
                    got.append(ServiceDB.next_seq(con))
        except BaseException as exc:  # reported below: a thread's error must fail the test
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == list(range(1, 81))


@pytest.mark.postgres
def test_failed_write_rolls_back_and_reconnects(pg_cluster: LocalCluster) -> None:
    db = PostgresServiceDB(new_database(pg_cluster))
    with pytest.raises(RuntimeError), db.write() as con:
        ServiceDB.next_seq(con)
        raise RuntimeError("abort")
    with db.session() as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone() is None
    db.close()  # as if the server had dropped the connection: the next session reconnects
    with db.session() as con:
        assert con.execute("SELECT count(*) AS n FROM partners").fetchone()["n"] == 0
    db.close()


def test_served_backends_hold_the_same_releases(served: Served) -> None:
    """Whichever backend: B never sees the A-only event, and both see the shared one."""
    a = served.client("AAA").get("/collections/events/items", params={"limit": 1000}).json()
    b = served.client("BBB").get("/collections/events/items", params={"limit": 1000}).json()
    ids_a = {f["id"] for f in a["features"]}
    ids_b = {f["id"] for f in b["features"]}
    assert served.only_a_event_id in ids_a and served.only_a_event_id not in ids_b
    assert served.shared_event_id in ids_a & ids_b
    assert b["numberMatched"] == len(ids_b)

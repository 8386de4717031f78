"""The service's own tables (partners, releases, feedback, audit head): in one SQLite file
(the embedded default), or in PostgreSQL (``serve/db_postgres.py``) for a ``postgresql://``
database URL (:func:`open_service_db` chooses by the URL).

These tables are the service's, not the workspace's: the workspace stays in ``store/`` and
is only read through the :class:`~watchkeeper.store.Store` interface. SQLite in WAL mode lets
the server and the CLI (``partners add``, ``publish``) use the file at the same time: readers
never wait, writers queue for a few milliseconds (``busy_timeout``).

What a partner may see is decided in SQL: published items are snapshots in ``pub_events``
and ``pub_vessels``, and ``pub_release`` holds one row per (item, partner code) of its
marking; every query that selects items for a partner joins it (:func:`visible_sql`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from watchkeeper.serve.settings import ServeSettings

__all__ = [
    "SCHEMA_VERSION",
    "Connection",
    "Cursor",
    "ServiceDB",
    "open_service_db",
    "visible_sql",
]

SCHEMA_VERSION = 1


class Cursor(Protocol):
    """What a statement gives back: rows (by position and by column name), the generated
    key of an insert, the count of changed rows."""

    @property
    def lastrowid(self) -> int | None: ...

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The connection the serve modules write to: SQLite's, or PostgreSQL's taking the same
    statements (``serve/db_postgres.py`` translates them)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS partners (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS pub_events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    mmsi INTEGER NOT NULL,
    other_mmsi INTEGER,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    lat REAL,
    lon REAL,
    confidence REAL,
    risk REAL,
    summary TEXT NOT NULL,
    details TEXT NOT NULL,
    tlp TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pub_events_start ON pub_events (start_ms, event_id);
CREATE INDEX IF NOT EXISTS pub_events_seq ON pub_events (seq);
CREATE INDEX IF NOT EXISTS pub_events_lon_lat ON pub_events (lon, lat);
CREATE INDEX IF NOT EXISTS pub_events_mmsi ON pub_events (mmsi);
CREATE INDEX IF NOT EXISTS pub_events_other ON pub_events (other_mmsi);
-- R*Tree over (lon, lat, time) of positioned events: a bounding box (and time) query reads
-- the boxes that can match instead of a range of one index (measured: 1 M events, 1 degree
-- box and 1 day, 28 ms with the (lon, lat) index). Its float32 boxes are rounded outwards,
-- so it only preselects: the exact conditions are applied on pub_events.
CREATE VIRTUAL TABLE IF NOT EXISTS pub_events_rtree
    USING rtree(rid, lon0, lon1, lat0, lat1, t0, t1);
CREATE TRIGGER IF NOT EXISTS pub_events_rtree_add AFTER INSERT ON pub_events
    WHEN new.lon IS NOT NULL AND new.lat IS NOT NULL BEGIN
    INSERT INTO pub_events_rtree VALUES (new.rowid, new.lon, new.lon, new.lat, new.lat,
                                         new.start_ms, new.end_ms);
END;
CREATE TRIGGER IF NOT EXISTS pub_events_rtree_del AFTER DELETE ON pub_events BEGIN
    DELETE FROM pub_events_rtree WHERE rid = old.rowid;
END;
CREATE TABLE IF NOT EXISTS pub_vessels (
    mmsi INTEGER PRIMARY KEY,
    name TEXT,
    imo INTEGER,
    flag TEXT,
    ship_type INTEGER,
    risk REAL,
    reasons TEXT NOT NULL,
    sanctions TEXT NOT NULL,
    lat REAL,
    lon REAL,
    first_seen_ms INTEGER,
    last_seen_ms INTEGER,
    report_html TEXT,
    tlp TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pub_release (
    kind TEXT NOT NULL,
    item_id TEXT NOT NULL,
    partner TEXT NOT NULL,
    PRIMARY KEY (kind, item_id, partner)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pub_release_partner ON pub_release (partner, kind, item_id);
CREATE TABLE IF NOT EXISTS feedback (
    feedback_id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    partner TEXT NOT NULL,
    verdict TEXT NOT NULL,
    text TEXT NOT NULL,
    tlp TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_event ON feedback (event_id);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"""


def visible_sql(kind: str, id_column: str, tlp_column: str) -> str:
    """SQL condition: the item in ``id_column`` is released to the partner bound as
    ``:partner`` (its code in the marking's rel_to, or ``ALL`` with TLP CLEAR/GREEN).

    ``kind`` is a literal (``event``, ``vessel``) chosen by the caller, never user input.
    """
    assert kind in ("event", "vessel", "feedback"), kind
    return (
        f"EXISTS (SELECT 1 FROM pub_release r WHERE r.kind = '{kind}' "
        f"AND r.item_id = {id_column} AND (r.partner = :partner "
        f"OR (r.partner = 'ALL' AND {tlp_column} IN ('CLEAR', 'GREEN'))))"
    )


class ServiceDB:
    """The SQLite file of the service; :meth:`session` gives this thread's connection."""

    #: Whether ``pub_events_rtree`` (an R*Tree over positions and times) exists to preselect
    #: the events of a bounding box; the PostgreSQL backend uses plain indexes instead.
    has_rtree: ClassVar[bool] = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ready = False
        self._local = threading.local()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA busy_timeout = 30000")
        con.execute("PRAGMA foreign_keys = ON")
        return con

    def ensure(self) -> None:
        """Create the tables (idempotent) and switch the file to WAL mode."""
        if self._ready:
            return
        con = self._open()
        try:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(_SCHEMA)
            con.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        finally:
            con.close()
        self._ready = True

    @contextmanager
    def session(self) -> Iterator[Connection]:
        """This thread's connection (autocommit; :meth:`write` for a transaction).

        Connections stay open, one per thread: closing the last one checkpoints and removes
        the WAL, and with many short connections those exclusive moments make readers and
        writers wait on each other (measured: 50 clients stalled for seconds).
        """
        self.ensure()
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = self._open()
            con.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints
            self._local.con = con
        yield con

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on
        any error, so a publish or a revocation is all or nothing."""
        with self.session() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    @staticmethod
    def next_seq(con: Connection) -> int:
        """The next change number (inside a write transaction): the ``changed_since`` cursor
        of partners that pull counts these."""
        row = con.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        seq = (int(row[0]) if row else 0) + 1
        con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?)", (str(seq),))
        return seq


def open_service_db(settings: ServeSettings) -> ServiceDB:
    """The service database the settings name, by the URL's scheme: PostgreSQL for
    ``postgresql://`` (or ``postgres://``), else the SQLite file."""
    if settings.backend == "postgresql":
        from watchkeeper.serve.db_postgres import PostgresServiceDB

        return PostgresServiceDB(settings.database_url or "")
    return ServiceDB(settings.database_path)

"""Settings of the service, read from the environment (``WATCHKEEPER_*``) or given in code.

``WATCHKEEPER_WORKSPACE`` (required), ``WATCHKEEPER_DATABASE_URL`` (unset: the embedded
database ``WS/service.sqlite`` beside the workspace; ``sqlite:///path`` puts it elsewhere,
``postgresql://...`` in PostgreSQL for a coalition service; see serve/db_postgres.py),
``WATCHKEEPER_HOST`` (default 127.0.0.1: loopback only until an operator opens it) and
``WATCHKEEPER_PORT`` (default 8000).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from watchkeeper.errors import ConfigError

__all__ = ["ServeSettings"]

SERVICE_DB = "service.sqlite"
AUDIT_LOG = "audit.jsonl"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class ServeSettings:
    """Where the workspace and the service's own tables are, and where to listen."""

    workspace: Path
    database_url: str | None = None  # None: embedded SQLite file beside the workspace
    host: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServeSettings:
        """Settings from ``WATCHKEEPER_*`` variables (``env`` defaults to ``os.environ``)."""
        env = os.environ if env is None else env
        ws = env.get("WATCHKEEPER_WORKSPACE")
        if not ws:
            raise ConfigError("set WATCHKEEPER_WORKSPACE to the workspace folder to serve")
        port = env.get("WATCHKEEPER_PORT", "8000")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"WATCHKEEPER_PORT must be a TCP port, got {port!r}")
        return cls(
            workspace=Path(ws),
            database_url=env.get("WATCHKEEPER_DATABASE_URL") or None,
            host=env.get("WATCHKEEPER_HOST", "127.0.0.1"),
            port=int(port),
        )

    @property
    def backend(self) -> str:
        """``sqlite`` (the embedded file) or ``postgresql`` (a ``postgresql://`` or
        ``postgres://`` URL); any other scheme is a :class:`ConfigError`."""
        url = self.database_url
        if url is None or url.startswith("sqlite:///"):
            return "sqlite"
        if url.startswith(POSTGRES_SCHEMES):
            return "postgresql"
        scheme = url.split(":", 1)[0]
        raise ConfigError(
            f"database URL scheme {scheme!r} is not supported: use the embedded default "
            "(no --database), sqlite:///PATH or postgresql://USER@HOST/DB"
        )

    @property
    def database_path(self) -> Path:
        """The SQLite file holding partners, releases, feedback and the audit head."""
        if self.backend != "sqlite":
            raise ConfigError("the service database is in PostgreSQL, not in a SQLite file")
        url = self.database_url
        if url is None:
            return self.workspace / SERVICE_DB
        return Path(url.removeprefix("sqlite:///"))

    @property
    def audit_path(self) -> Path:
        """The hash-chained audit log (JSON lines): beside the SQLite file, or in the
        workspace folder when the tables are in PostgreSQL (the log is this node's file;
        its head, the last line's number and hash, is in the database)."""
        if self.backend == "postgresql":
            return self.workspace / AUDIT_LOG
        return self.database_path.with_name(AUDIT_LOG)

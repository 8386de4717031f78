"""Settings of the service, read from the environment (``WATCHKEEPER_*``) or given in code.

``WATCHKEEPER_WORKSPACE`` (required), ``WATCHKEEPER_DATABASE_URL`` (unset: the embedded
database ``WS/service.sqlite`` beside the workspace; ``sqlite:///path`` puts it elsewhere),
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
    def database_path(self) -> Path:
        """The SQLite file holding partners, releases, feedback and the audit head."""
        url = self.database_url
        if url is None:
            return self.workspace / SERVICE_DB
        if url.startswith("sqlite:///"):
            return Path(url.removeprefix("sqlite:///"))
        scheme = url.split(":", 1)[0]
        raise ConfigError(
            f"database URL scheme {scheme!r} is not supported by this version: use the "
            "embedded default (no --database) or sqlite:///PATH"
        )

    @property
    def audit_path(self) -> Path:
        """The hash-chained audit log (JSON lines) beside the service database."""
        return self.database_path.with_name("audit.jsonl")

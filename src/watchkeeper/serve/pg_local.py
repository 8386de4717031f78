"""A throwaway PostgreSQL cluster in a temporary folder, for the tests and the benchmark.

``initdb`` and ``pg_ctl`` from the PATH or Debian's ``/usr/lib/postgresql/<version>/bin``;
the server listens on a unix socket in the folder only (no TCP), with trust authentication
and without fsync (a throwaway cluster needs no durability). PostgreSQL refuses to run as
root: when the caller is root the cluster runs as the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

__all__ = ["LocalCluster", "find_binaries", "local_cluster", "unavailable"]


def find_binaries() -> tuple[str, str] | None:
    """(initdb, pg_ctl), newest version first, or None when PostgreSQL is not installed."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()],
        reverse=True,
    )
    for where in [None, *map(str, debian)]:
        initdb = shutil.which("initdb", path=where)
        pg_ctl = shutil.which("pg_ctl", path=where)
        if initdb and pg_ctl:
            return initdb, pg_ctl
    return None


def unavailable() -> str | None:
    """Why no local cluster can be started here (None if one can)."""
    if find_binaries() is None:
        return "PostgreSQL is not installed (no initdb/pg_ctl; apt-get install postgresql)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser: PostgreSQL cannot be started"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to start PostgreSQL as"
    return None


@dataclass(frozen=True)
class LocalCluster:
    """A running cluster: its socket folder and port."""

    socket_dir: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        """The connection URL of one of its databases."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def create_database(self, name: str) -> str:
        """Create an empty database (``name``: letters, digits, _) and give its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r}: letters, digits and _ only")
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def local_cluster(
    port: int = 5432, settings: dict[str, str] | None = None
) -> Iterator[LocalCluster]:
    """Start a cluster (socket only, so ``port`` only names the socket file), yield it,
    stop it and remove its folder. :class:`RuntimeError` if it cannot start.

    ``settings`` are server settings (``-c name=value``); the default, ``fsync=off``, suits
    tests; a benchmark passes the durability it measures.
    """
    why = unavailable()
    found = find_binaries()
    if why is not None or found is None:
        raise RuntimeError(why or "PostgreSQL is not installed")
    initdb, pg_ctl = found
    root = Path(tempfile.mkdtemp(prefix="wk-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    conf = {"listen_addresses": "''", "max_connections": "200", **(settings or {"fsync": "off"})}
    opts = f"-p {port} -k {root} " + " ".join(f"-c {k}={v}" for k, v in conf.items())
    try:
        for cmd in (
            [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"],
            [pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"],
        ):
            done = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, check=False)
            if done.returncode != 0:
                log = (root / "log").read_text() if (root / "log").exists() else ""
                raise RuntimeError(f"{Path(cmd[0]).name} failed: {done.stderr}{log}".strip())
        yield LocalCluster(root, port)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)

"""Partners (nations, agencies) and their API keys.

A key is 32 random bytes (``secrets.token_urlsafe``), shown once when the partner is created;
the database keeps only its SHA-256. A salt adds nothing for 256-bit random secrets (no
dictionary to precompute), and one hash lets a request find its partner by an indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.serve.db import ServiceDB
from watchkeeper.serve.markings import ALL, check_code

__all__ = [
    "Partner",
    "Scope",
    "add_partner",
    "authenticate",
    "hash_key",
    "list_partners",
    "revoke_partner",
]

KEY_PREFIX = "wk_"


class Scope(StrEnum):
    """What a key may do: read < publish < admin."""

    READ = "read"
    PUBLISH = "publish"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        """Whether this scope includes ``needed``."""
        order = list(Scope)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class Partner:
    """A partner as the service knows it (never its key)."""

    code: str
    name: str
    scope: Scope
    created_at: str
    revoked_at: str | None = None


def hash_key(key: str) -> str:
    """SHA-256 (hex) of an API key: what is stored and looked up."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _scope(scope: str) -> Scope:
    try:
        return Scope(scope.strip().lower())
    except ValueError:
        raise ConfigError(
            f"scope {scope!r}: expected one of {', '.join(s.value for s in Scope)}"
        ) from None


def add_partner(db: ServiceDB, code: str, *, name: str, scope: str = "read") -> tuple[Partner, str]:
    """Create partner ``code`` and return it with its new API key (shown only now).

    A revoked code can be created again (it gets a new key); an active one is a
    :class:`ConfigError`.
    """
    code = check_code(code)
    if code == ALL:
        raise ConfigError("ALL is reserved in markings (every partner): choose another code")
    if not name.strip():
        raise ConfigError("a partner needs a --name")
    partner = Partner(code, name.strip(), _scope(scope), _now())
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with db.write() as con:
        row = con.execute("SELECT revoked_at FROM partners WHERE code = ?", (code,)).fetchone()
        if row is not None and row["revoked_at"] is None:
            raise ConfigError(f"partner {code} exists (revoke it first to issue a new key)")
        con.execute(
            "INSERT OR REPLACE INTO partners (code, name, scope, key_hash, created_at, revoked_at)"
            " VALUES (?, ?, ?, ?, ?, NULL)",
            (code, partner.name, partner.scope.value, hash_key(key), partner.created_at),
        )
    return partner, key


def _row(row: Any) -> Partner:
    return Partner(
        row["code"], row["name"], Scope(row["scope"]), row["created_at"], row["revoked_at"]
    )


def list_partners(db: ServiceDB) -> list[Partner]:
    """Every partner, revoked ones included, by code."""
    with db.session() as con:
        rows = con.execute("SELECT * FROM partners ORDER BY code").fetchall()
    return [_row(r) for r in rows]


def revoke_partner(db: ServiceDB, code: str) -> Partner:
    """Revoke ``code``'s key at once (its requests get 401 from now on)."""
    code = check_code(code)
    with db.write() as con:
        row = con.execute("SELECT * FROM partners WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise NotFoundError(f"no partner {code}")
        if row["revoked_at"] is None:
            con.execute("UPDATE partners SET revoked_at = ? WHERE code = ?", (_now(), code))
        row = con.execute("SELECT * FROM partners WHERE code = ?", (code,)).fetchone()
    return _row(row)


def authenticate(db: ServiceDB, key: str) -> Partner | None:
    """The active partner holding ``key``, or None (unknown or revoked key)."""
    with db.session() as con:
        row = con.execute(
            "SELECT * FROM partners WHERE key_hash = ? AND revoked_at IS NULL", (hash_key(key),)
        ).fetchone()
    return None if row is None else _row(row)

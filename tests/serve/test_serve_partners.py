"""Partners and keys: keys stored hashed, scopes ordered, revocation immediate."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.serve.db import ServiceDB
from watchkeeper.serve.partners import (
    Scope,
    add_partner,
    authenticate,
    hash_key,
    list_partners,
    revoke_partner,
)


def test_key_stored_hashed_only(tmp_path: Path) -> None:
    db = ServiceDB(tmp_path / "s.sqlite")
    partner, key = add_partner(db, "jpn", name="Japan Coast Guard", scope="publish")
    assert partner.code == "JPN" and partner.scope is Scope.PUBLISH
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.sqlite*"))
    assert key.encode() not in raw
    con = sqlite3.connect(tmp_path / "s.sqlite")
    assert con.execute("SELECT key_hash FROM partners").fetchone()[0] == hash_key(key)
    con.close()
    found = authenticate(db, key)
    assert found is not None and found.code == "JPN"
    assert authenticate(db, key + "x") is None


def test_scopes_ordered() -> None:
    assert Scope.ADMIN.allows(Scope.PUBLISH) and Scope.PUBLISH.allows(Scope.READ)
    assert not Scope.READ.allows(Scope.PUBLISH)


def test_duplicates_revocation_and_reissue(service_db: ServiceDB) -> None:
    db = service_db
    _, key = add_partner(db, "USA", name="US")
    with pytest.raises(ConfigError, match="exists"):
        add_partner(db, "USA", name="US")
    with pytest.raises(ConfigError, match="reserved"):
        add_partner(db, "ALL", name="everyone")
    with pytest.raises(ConfigError, match="scope"):
        add_partner(db, "KOR", name="Korea", scope="root")
    with pytest.raises(NotFoundError):
        revoke_partner(db, "FRA")
    assert revoke_partner(db, "USA").revoked_at is not None
    assert authenticate(db, key) is None
    _, new_key = add_partner(db, "USA", name="US")
    assert authenticate(db, new_key) is not None and authenticate(db, key) is None
    assert [p.code for p in list_partners(db)] == ["USA"]

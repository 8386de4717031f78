"""The app: auth (401/403), errors by status, settings, and schemathesis over the OpenAPI
document (no server error, every answer conforms to its documented schema)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from conftest import Served
from watchkeeper.errors import ConfigError
from watchkeeper.serve.app import create_app
from watchkeeper.serve.db import open_service_db
from watchkeeper.serve.partners import add_partner, revoke_partner
from watchkeeper.serve.settings import ServeSettings


def test_no_key_is_401(served: Served) -> None:
    c = served.client()
    for path in ("/collections", "/api/v1/me", "/api/v1/alerts", "/collections/events/items"):
        got = c.get(path)
        assert got.status_code == 401, path
        assert got.headers["www-authenticate"] == "Bearer"
    wrong = TestClient(served.app, headers={"Authorization": "Bearer wk_not-a-key"})
    assert wrong.get("/api/v1/me").status_code == 401
    basic = TestClient(served.app, headers={"Authorization": "Basic QUFBOkFBQQ=="})
    assert basic.get("/api/v1/me").status_code == 401


def test_scope_is_403(served: Served) -> None:
    body = {"event_id": served.shared_event_id, "tlp": "GREEN", "rel_to": ["AAA"]}
    assert served.client("BBB").post("/api/v1/publish", json=body).status_code == 403


def test_me(served: Served) -> None:
    got = served.client("AAA").get("/api/v1/me")
    assert got.json() == {"code": "AAA", "name": "Partner A", "scope": "read"}


def test_revoked_key_is_401(served: Served) -> None:
    db = open_service_db(served.settings)
    _, key = add_partner(db, "TMP", name="Temporary")
    c = TestClient(served.app, headers={"Authorization": f"Bearer {key}"})
    assert c.get("/api/v1/me").status_code == 200
    revoke_partner(db, "TMP")
    assert c.get("/api/v1/me").status_code == 401


def test_errors_by_status(served: Served) -> None:
    pub = served.client("PUB")
    bad_tlp = pub.post("/api/v1/publish", json={"top": 1, "tlp": "AMBER", "rel_to": ["ALL"]})
    assert bad_tlp.status_code == 400
    assert "ALL is only allowed" in bad_tlp.json()["detail"]
    two = pub.post("/api/v1/publish", json={"top": 1, "mmsi": 1, "tlp": "RED", "rel_to": ["AAA"]})
    assert two.status_code == 400
    missing = pub.post("/api/v1/publish", json={"mmsi": 1, "tlp": "RED", "rel_to": ["AAA"]})
    assert missing.status_code == 404
    a = served.client("AAA")
    assert a.get("/collections/events/items", params={"bbox": "1,2,3"}).status_code == 400
    assert a.get("/collections/events/items", params={"datetime": "yesterday"}).status_code == 400
    assert a.get("/collections/events/items", params={"limit": 0}).status_code == 400
    assert a.get("/api/v1/alerts", params={"changed_since": "x"}).status_code == 400


def test_next_links_walk_every_item(served: Served) -> None:
    a = served.client("AAA")
    first = a.get("/collections/events/items", params={"limit": 2}).json()
    seen, page = [], first
    while True:
        seen += [f["id"] for f in page["features"]]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not nxt:
            break
        page = a.get(nxt[0]).json()
    assert len(seen) == len(set(seen)) == first["numberMatched"]


def test_settings_from_env(tmp_path: Path) -> None:
    s = ServeSettings.from_env({"WATCHKEEPER_WORKSPACE": str(tmp_path), "WATCHKEEPER_PORT": "9"})
    assert s.port == 9 and s.database_path == tmp_path / "service.sqlite"
    assert s.audit_path == tmp_path / "audit.jsonl"
    with pytest.raises(ConfigError, match="WATCHKEEPER_WORKSPACE"):
        ServeSettings.from_env({})
    with pytest.raises(ConfigError, match="not supported"):
        _ = ServeSettings(tmp_path, database_url="mysql://x").database_path
    other = ServeSettings(tmp_path, database_url=f"sqlite:///{tmp_path}/x/s.sqlite")
    assert other.database_path == tmp_path / "x" / "s.sqlite"


def test_openapi_has_examples_and_security(served: Served) -> None:
    doc = served.client().get("/openapi.json").json()
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    assert doc["components"]["schemas"]["PublishRequest"]["examples"]
    items = doc["paths"]["/collections/events/items"]["get"]["responses"]["200"]["content"]
    assert "application/geo+json" in items


# Answers must conform; generated inputs that the schema allows but the meaning forbids (a
# latitude of 95, an interval ending before it starts, a cursor the service never issued) are
# answered 400 with a message, so schemathesis' positive-data check is not among these.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def test_schemathesis(served: Served, tmp_path: Path) -> None:
    """Every operation with generated inputs, as AAA (publishing as PUB): no server error, and
    every answer conforms to its documented status, media type and schema. On a copy of the
    served workspace: generated publications and feedback must not change the shared one."""
    shutil.copytree(served.workspace, tmp_path / "ws")
    app = create_app(ServeSettings(tmp_path / "ws"))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18

    for op in operations:
        _fuzz(op, served.keys["PUB" if op.path == "/api/v1/publish" else "AAA"])


def _fuzz(op: Any, key: str) -> None:
    @given(case=op.as_strategy())
    @settings(
        max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)

    check()

"""The app factory: ``create_app(settings)`` builds the FastAPI application.

Errors are answered by the status their class carries (``WatchkeeperError.http_status``:
400, 404, 409, 423, 500) with ``{"detail": message}``; invalid parameters are 400 (OGC API
Features answers 400 to a bad query), never a server error. Every request to the API and the
collections is written to the audit log before its answer leaves (a request that cannot be
audited fails).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watchkeeper.errors import WatchkeeperError
from watchkeeper.serve.audit import AuditLog
from watchkeeper.serve.db import open_service_db
from watchkeeper.serve.deps import Ctx
from watchkeeper.serve.page import router as page_router
from watchkeeper.serve.routers import ROUTERS
from watchkeeper.serve.settings import ServeSettings
from watchkeeper.store import Workspace

__all__ = ["create_app"]

log = logging.getLogger(__name__)

DESCRIPTION = """\
The coalition service of watchkeeper: partners publish, receive and act on alerts about
illicit ship-to-ship transfers and sanctions evasion, each seeing only what is released to it.

* **Auth**: every request carries `Authorization: Bearer KEY` (a key from
  `watchkeeper partners add`). No key or a revoked one: 401; a key without the scope: 403.
* **Markings**: every item carries `marking` = `{"tlp": ..., "rel_to": [...]}` (TLP 2.0). An
  item not released to you answers 404, exactly like one that does not exist.
* **OGC API Features** under `/collections` (events, vessels, tracks) for QGIS and GDAL.
* **Pull loop**: `GET /api/v1/alerts?changed_since=CURSOR`, pass `next_cursor` back.

Every request is written to a hash-chained audit log.
"""

AUDITED = ("/api/", "/collections", "/conformance")


def _audited(path: str) -> bool:
    return path.startswith(AUDITED)


class AuditMiddleware:
    """Appends one audit line per API request (who, what, status, marking) before the
    answer's first byte is sent."""

    def __init__(self, app: ASGIApp, audit: AuditLog) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _audited(scope["path"]):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        started = False

        async def record(status: int) -> None:
            method = scope["method"]
            qs = scope.get("query_string", b"").decode("latin-1")
            await anyio.to_thread.run_sync(
                partial(
                    self.audit.append,
                    who=state.get("partner") or "-",
                    action="read" if method in ("GET", "HEAD") else "write",
                    target=f"{method} {scope['path']}" + (f"?{qs}" if qs else ""),
                    status=status,
                    marking=state.get("audit_marking"),
                    detail=state.get("audit_detail"),
                )
            )

        async def send_audited(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                await record(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_audited)
        except Exception:
            if not started:
                await record(500)
            raise


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WatchkeeperError)
    async def watchkeeper_error(request: Request, exc: WatchkeeperError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("internal error on %s: %s", request.url.path, exc)
        return JSONResponse({"detail": str(exc)}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=400)


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """The service over ``settings.workspace`` (settings from the environment if None)."""
    settings = settings or ServeSettings.from_env()
    db = open_service_db(settings)
    db.ensure()
    store = Workspace(settings.workspace, create=False, read_only=True)
    audit = AuditLog(settings.audit_path, db)
    app = FastAPI(
        title="watchkeeper coalition service",
        version="1",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "OGC API Features", "description": "Events, vessels, tracks as GeoJSON."},
            {"name": "alerts", "description": "Filtered alerts and the pull cursor."},
            {"name": "feedback", "description": "Verdicts on alerts and precision."},
            {"name": "publish", "description": "Release items with a marking."},
        ],
    )
    app.state.ctx = Ctx(settings=settings, db=db, store=store, audit=audit)
    _error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(page_router)
    app.add_middleware(AuditMiddleware, audit=audit)
    return app

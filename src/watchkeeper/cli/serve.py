"""``watchkeeper serve``, ``partners add|list|revoke``, ``publish`` and ``audit``: the
coalition service and its administration (docs/service.md).

Examples::

    watchkeeper partners add JPN --name "Japan Coast Guard" -w ws   # key: last line
    watchkeeper publish -w ws --top 5 --tlp amber --rel-to USA,JPN
    watchkeeper serve -w ws --port 8000
    watchkeeper audit -w ws --verify
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from watchkeeper.cli._app import app
from watchkeeper.errors import ConfigError
from watchkeeper.serve.audit import AuditLog
from watchkeeper.serve.db import open_service_db
from watchkeeper.serve.markings import Marking
from watchkeeper.serve.partners import add_partner, list_partners, revoke_partner
from watchkeeper.serve.settings import ServeSettings

__all__ = ["audit_cmd", "partners_app", "publish_cmd", "serve"]

console = Console(soft_wrap=True)
partners_app = typer.Typer(help="Partners of the service and their API keys.", no_args_is_help=True)
app.add_typer(partners_app, name="partners")

WorkspaceOpt = Annotated[
    Path, typer.Option("-w", "--workspace", help="Workspace folder the service shares.")
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="WATCHKEEPER_DATABASE_URL",
        help="Service database URL (default: WS/service.sqlite; sqlite:///PATH elsewhere; "
        "postgresql://USER@HOST/DB to keep the service tables in PostgreSQL).",
    ),
]


def _settings(workspace: Path, database: str | None) -> ServeSettings:
    if not workspace.is_dir():
        raise ConfigError(f"no workspace at {workspace}")
    return ServeSettings(workspace=workspace, database_url=database)


def _audit(
    settings: ServeSettings,
    action: str,
    target: str,
    marking: dict[str, object] | None,
    **detail: object,
) -> None:
    db = open_service_db(settings)
    AuditLog(settings.audit_path, db).append(
        who=f"cli:{getpass.getuser()}",
        action=action,
        target=target,
        status=0,
        marking=marking,
        detail=dict(detail),
    )


@app.command()
def serve(
    workspace: WorkspaceOpt,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    database: DatabaseOpt = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the workspace to partners: OGC API Features, the JSON API and the map page.

    Example: ``watchkeeper serve -w ws --port 8000``
    """
    import os

    import uvicorn

    settings = ServeSettings(workspace=workspace, database_url=database, host=host, port=port)
    settings.backend  # noqa: B018  (rejects an unsupported URL before starting)
    from watchkeeper.store import Workspace

    Workspace(workspace, create=False, read_only=True)
    os.environ["WATCHKEEPER_WORKSPACE"] = str(workspace)
    if database:
        os.environ["WATCHKEEPER_DATABASE_URL"] = database
    Console(stderr=True).print(
        f"serving {workspace} on http://{host}:{port}/ (API documentation: /docs)", highlight=False
    )
    uvicorn.run(
        "watchkeeper.serve.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


@partners_app.command("add")
def partners_add(
    code: Annotated[str, typer.Argument(help="Partner code, e.g. JPN (2-16 letters/digits).")],
    workspace: WorkspaceOpt,
    name: Annotated[str, typer.Option("--name", help="The partner's name.")],
    scope: Annotated[str, typer.Option(help="read, publish or admin.")] = "read",
    database: DatabaseOpt = None,
) -> None:
    """Create a partner; its new API key is the last line printed (shown only once).

    Example: ``watchkeeper partners add JPN --name "Japan Coast Guard" -w ws``
    """
    settings = _settings(workspace, database)
    partner, key = add_partner(open_service_db(settings), code, name=name, scope=scope)
    _audit(settings, "write", f"partners add {partner.code}", None, scope=partner.scope.value)
    console.print(
        f"partner {partner.code} ({partner.name}), scope {partner.scope}: API key "
        "below, shown only now",
        highlight=False,
    )
    print(key)


@partners_app.command("list")
def partners_list(workspace: WorkspaceOpt, database: DatabaseOpt = None) -> None:
    """List partners (codes, names, scopes, revoked or not)."""
    settings = _settings(workspace, database)
    table = Table("code", "name", "scope", "created", "revoked")
    for p in list_partners(open_service_db(settings)):
        table.add_row(p.code, p.name, p.scope.value, p.created_at, p.revoked_at or "")
    console.print(table)


@partners_app.command("revoke")
def partners_revoke(
    code: Annotated[str, typer.Argument(help="Partner code.")],
    workspace: WorkspaceOpt,
    database: DatabaseOpt = None,
) -> None:
    """Revoke a partner's key at once (its requests get 401)."""
    settings = _settings(workspace, database)
    p = revoke_partner(open_service_db(settings), code)
    _audit(settings, "write", f"partners revoke {p.code}", None)
    console.print(f"partner {p.code} revoked at {p.revoked_at}", highlight=False)


@app.command("publish")
def publish_cmd(
    workspace: WorkspaceOpt,
    tlp: Annotated[str, typer.Option(help="CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")],
    rel_to: Annotated[
        str,
        typer.Option(
            "--rel-to",
            help="Partner codes, comma-separated (ALL: every partner, CLEAR/GREEN only).",
        ),
    ],
    event: Annotated[str | None, typer.Option("--event", help="Event id.")] = None,
    vessel: Annotated[int | None, typer.Option("--vessel", help="MMSI of a vessel case.")] = None,
    top: Annotated[int | None, typer.Option("--top", help="The N riskiest vessel cases.")] = None,
    all_events: Annotated[bool, typer.Option("--all-events", help="Every event (bulk).")] = False,
    database: DatabaseOpt = None,
) -> None:
    """Release an event, a vessel case (with its report and events) or the top N cases.

    Example: ``watchkeeper publish -w ws --top 5 --tlp amber --rel-to USA,JPN``
    """
    from watchkeeper.serve.publish import publish
    from watchkeeper.store import Workspace

    settings = _settings(workspace, database)
    marking = Marking.parse(tlp, rel_to.split(","))
    store = Workspace(workspace, create=False, read_only=True)
    done = publish(
        open_service_db(settings),
        store,
        marking,
        event_id=event,
        mmsi=vessel,
        top=top,
        all_events=all_events,
        by=f"cli:{getpass.getuser()}",
    )
    what = (
        f"event {event}"
        if event
        else f"vessel {vessel}"
        if vessel
        else (f"top {top}" if top else "all events")
    )
    _audit(
        settings,
        "write",
        f"publish {what}",
        marking.as_dict(),
        events=len(done.events),
        vessels=done.vessels,
    )
    console.print(
        f"published {len(done.vessels)} vessel case(s) and {len(done.events)} event(s) as TLP:"
        f"{marking.tlp} REL TO {', '.join(marking.rel_to)}",
        highlight=False,
    )


@app.command("audit")
def audit_cmd(
    workspace: WorkspaceOpt,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the hash chain (what audit does).")
    ] = True,
    database: DatabaseOpt = None,
) -> None:
    """Verify the audit log: exit 1 naming each changed or removed line.

    Example: ``watchkeeper audit -w ws --verify``
    """
    del verify  # verifying is the command's one action; the flag says so on the command line
    settings = _settings(workspace, database)
    result = AuditLog(settings.audit_path, open_service_db(settings)).verify()
    for problem in result.problems:
        console.print(f"{settings.audit_path}: {problem}", highlight=False)
    if not result.ok:
        raise typer.Exit(1)
    console.print(
        f"{settings.audit_path}: {result.lines} lines, chain intact; head seq {result.head_seq} "
        f"hash {result.head_hash}",
        highlight=False,
    )

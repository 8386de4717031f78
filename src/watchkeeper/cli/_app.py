"""The typer application objects that every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="watchkeeper",
    help="Find illicit ship-to-ship transfers and sanctions evasion in AIS data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
export_app = typer.Typer(
    help="Export positions, events or vessels in the formats partners use.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

WORKSPACE_HELP = "Workspace folder (created if missing)."

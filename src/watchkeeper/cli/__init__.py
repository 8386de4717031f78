"""Command-line interface: ``watchkeeper <verb>``; a thin adapter over the Python API.

Exit codes: 0 ok, 1 error (a :class:`~watchkeeper.errors.WatchkeeperError`), 2 usage.
"""

from __future__ import annotations

import sys

from rich.console import Console

from watchkeeper.cli import detect, ingest, report, screen, simulate  # noqa: F401  (register commands)
from watchkeeper.cli._app import app
from watchkeeper.errors import WatchkeeperError

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: run the app, turning domain errors into a message and exit 1."""
    try:
        app(standalone_mode=False)
    except WatchkeeperError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise

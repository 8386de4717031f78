"""Command-line interface: ``watchkeeper <verb>``; a thin adapter over the Python API.

Exit codes: 0 ok, 1 error (a :class:`~watchkeeper.errors.WatchkeeperError`), 2 usage.
"""

from __future__ import annotations

import sys

from rich.console import Console

from watchkeeper.cli import (  # noqa: F401  (register commands)
    detect,
    ingest,
    live,
    report,
    screen,
    serve,
    simulate,
)
from watchkeeper.cli._app import app
from watchkeeper.errors import WatchkeeperError

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: one line on stderr and exit 1 for an error, exit 2 for a usage
    error, never a traceback (``--debug`` anywhere on the command line shows it)."""
    debug = "--debug" in sys.argv[1:]
    if debug:
        sys.argv = [a for a in sys.argv if a != "--debug"]
    try:
        app(standalone_mode=False)
    except SystemExit:
        raise
    except BaseException as exc:
        if debug:
            raise
        code, message = _explain(exc)
        if message:
            Console(stderr=True, soft_wrap=True).print(message, highlight=False, markup=False)
        sys.exit(code)


def _explain(exc: BaseException) -> tuple[int, str]:
    """Exit code and one-line message of an exception that ended a command."""
    import click
    from typer import exceptions as typer_exc
    from typer._click import exceptions as typer_click

    if isinstance(exc, WatchkeeperError):
        return 1, _one_line(f"error: {exc}")
    if isinstance(exc, typer_click.NoArgsIsHelpError | click.exceptions.NoArgsIsHelpError):
        path = exc.ctx.command_path if exc.ctx else "watchkeeper"
        return 2, f"usage error: {path} needs a command or options (see {path} --help)"
    if isinstance(exc, typer_click.UsageError | click.UsageError):
        path = exc.ctx.command_path if exc.ctx else "watchkeeper"
        return 2, _one_line(f"usage error: {path}: {exc.format_message()} (see {path} --help)")
    if isinstance(exc, typer_exc.TyperException | click.ClickException):
        return 1, _one_line(f"error: {exc.format_message()}")
    if isinstance(exc, typer_exc.Exit | click.exceptions.Exit):
        return exc.exit_code, ""
    if isinstance(exc, typer_exc.Abort | click.exceptions.Abort | KeyboardInterrupt):
        return 130, "aborted"
    if isinstance(exc, OSError):
        return 1, _one_line(f"error: {exc}")
    return 1, _one_line(
        f"error: unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
    )


def _one_line(text: str) -> str:
    """``text`` with its line breaks folded, so that an error is one line of stderr."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())

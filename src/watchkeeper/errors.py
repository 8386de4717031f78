"""The one exception root of watchkeeper and its subclasses, named by cause.

::

    WatchkeeperError
    ├── InputError            bad input that the caller asked to fail on (``strict=True``)
    │   ├── StrictInputError  the first rejected record, with file, line and reason
    │   └── FormatError       a file whose format cannot be recognised or read at all
    ├── ConfigError           an invalid parameter or column mapping
    ├── NotFoundError         a thing asked for by name or id that is not there
    ├── LandMaskError         the land mask data is missing or unreadable
    └── WorkspaceError        a workspace folder that is missing, locked or inconsistent
        └── WorkspaceLockedError  another process holds the workspace file for writing

Each class carries ``http_status``, the HTTP status a service answers it with (400 for bad
input or parameters, 404 for not found, 409 for an inconsistent workspace, 423 for a locked
one, 500 otherwise). Library code never prints; the CLI maps these to exit code 1 with the
message.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "FormatError",
    "InputError",
    "LandMaskError",
    "NotFoundError",
    "StrictInputError",
    "WatchkeeperError",
    "WorkspaceError",
    "WorkspaceLockedError",
]


class WatchkeeperError(Exception):
    """Root of every error raised on purpose by watchkeeper."""

    http_status: int = 500


class InputError(WatchkeeperError):
    """Input data that cannot be used."""

    http_status = 400


class StrictInputError(InputError):
    """A record was rejected while ``strict=True``: the run stops at the first one."""

    def __init__(self, reason: str, *, file: str, line: int | None, raw: str | None) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(
            f"{where}: rejected ({reason}): {raw!r}. "
            "Run without --strict to quarantine bad records and continue."
        )
        self.reason = reason
        self.file = file
        self.line = line
        self.raw = raw


class FormatError(InputError):
    """A file whose format is not recognised or whose structure is unreadable."""


class ConfigError(WatchkeeperError, ValueError):
    """An invalid parameter, option or column mapping."""

    http_status = 400


class NotFoundError(WatchkeeperError, LookupError):
    """A vessel, event, table or file asked for that is not there."""

    http_status = 404


class LandMaskError(WatchkeeperError):
    """The land mask data is missing or does not have the expected layout."""

    http_status = 500


class WorkspaceError(WatchkeeperError):
    """A workspace that is missing, locked or inconsistent."""

    http_status = 409


class WorkspaceLockedError(WorkspaceError):
    """Another process holds the workspace file for writing (retry later)."""

    http_status = 423

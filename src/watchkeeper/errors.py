"""The one exception root of watchkeeper and its subclasses, named by cause.

::

    WatchkeeperError
    ├── InputError            bad input that the caller asked to fail on (``strict=True``)
    │   ├── StrictInputError  the first rejected record, with file, line and reason
    │   └── FormatError       a file whose format cannot be recognised or read at all
    ├── ConfigError           an invalid parameter or column mapping
    └── WorkspaceError        a workspace folder that is missing, locked or inconsistent

Library code never prints; the CLI maps these to exit code 1 with the message.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "FormatError",
    "InputError",
    "StrictInputError",
    "WatchkeeperError",
    "WorkspaceError",
]


class WatchkeeperError(Exception):
    """Root of every error raised on purpose by watchkeeper."""


class InputError(WatchkeeperError):
    """Input data that cannot be used."""


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


class WorkspaceError(WatchkeeperError):
    """A workspace that is missing, locked or inconsistent."""

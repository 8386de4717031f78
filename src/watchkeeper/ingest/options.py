"""Options shared by every reader: the time policy for untimed records, and strict mode."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from watchkeeper.errors import ConfigError, StrictInputError
from watchkeeper.schema import Decoded

__all__ = ["FILE_ORDER", "TimeOption", "collect", "parse_time_option", "raise_first_reject"]

FILE_ORDER: Literal["file-order"] = "file-order"

#: How to time records that carry no time of their own:
#: ``None`` rejects them as ``no_timestamp``; a ``datetime`` gives that one time to all;
#: ``"file-order"`` gives each the time of the nearest earlier timed record in the same file.
TimeOption = datetime | Literal["file-order"] | None


def parse_time_option(text: str | None) -> TimeOption:
    """Parse the CLI's ``--time`` value: an ISO 8601 time (UTC if no zone) or 'file-order'."""
    if text is None or text == "":
        return None
    if text == FILE_ORDER:
        return FILE_ORDER
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"--time {text!r} is neither an ISO 8601 time nor 'file-order'") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def raise_first_reject(decoded: Decoded) -> None:
    """In strict mode: raise :class:`StrictInputError` for the first rejected record, if any."""
    if decoded.rejects.num_rows == 0:
        return
    row = decoded.rejects.slice(0, 1).to_pylist()[0]
    raise StrictInputError(row["reason"], file=row["file"], line=row["line"], raw=row["raw"])


def collect(parts: Iterable[Decoded], *, strict: bool) -> list[Decoded]:
    """Every chunk of a reader; ``strict`` raises at the first rejected record."""
    out = []
    for part in parts:
        if strict:
            raise_first_reject(part)
        out.append(part)
    return out

"""Build rows of the ``events`` table (DESIGN §2) with deterministic ids."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from watchkeeper.schema import EVENTS

__all__ = ["event", "event_id", "events_table", "to_datetime"]


def to_datetime(epoch_s: float) -> datetime:
    """Epoch seconds as an aware UTC datetime (millisecond precision)."""
    return datetime.fromtimestamp(round(epoch_s, 3), tz=UTC)


def event_id(kind: str, mmsi: int, other: int | None, start: datetime) -> str:
    """Hash of type, vessels (order-free) and start: reruns give the same id."""
    pair = sorted([mmsi, other]) if other is not None else [mmsi]
    key = f"{kind}|{'-'.join(map(str, pair))}|{start.astimezone(UTC).isoformat()}"
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def event(
    kind: str,
    mmsi: int,
    start: datetime,
    end: datetime | None,
    lat: float | None,
    lon: float | None,
    *,
    other: int | None = None,
    confidence: float = 1.0,
    risk: float = 0.0,
    details: dict[str, Any] | None = None,
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One event row."""
    return {
        "event_id": event_id(kind, mmsi, other, start),
        "type": kind,
        "mmsi": int(mmsi),
        "other_mmsi": None if other is None else int(other),
        "start": start,
        "end": end,
        "lat": None if lat is None else float(lat),
        "lon": None if lon is None else float(lon),
        "confidence": float(confidence),
        "risk": float(risk),
        "details": json.dumps(details or {}, sort_keys=True, default=str),
        "evidence": json.dumps(evidence or {}, sort_keys=True, default=str),
    }


def events_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Rows as an ``events`` table, deduplicated on ``event_id``."""
    seen: dict[str, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r["event_id"], r)
    return pa.Table.from_pylist(list(seen.values()), schema=EVENTS)

"""Publishing: a snapshot of an event or a vessel case, with its marking, into the service.

What is published is what partners see, as it was when published: a later detection run
changes the workspace, not the published items, until they are published again (the latest
publication of an item replaces its snapshot and its marking).

Publishing a vessel case (``mmsi`` or ``top``) publishes the vessel (identity, risk with its
reasons, sanctions matches, last position), its case report (HTML, generated now) and every
event that names the vessel, which are the events its report shows; all with the one marking.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.serve.db import Connection, ServiceDB
from watchkeeper.serve.markings import Marking
from watchkeeper.store.base import Store

__all__ = ["Published", "event_summary", "publish", "publish_events"]

_INSERT_BATCH = 10_000  # rows per executemany: bounded memory when publishing a whole table


@dataclass
class Published:
    """What one publication released."""

    marking: Marking
    events: list[str] = field(default_factory=list)
    vessels: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (the API's answer)."""
        return {
            "marking": self.marking.as_dict(),
            "events": self.events,
            "vessels": self.vessels,
        }


def _ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_LABELS = {
    "encounter": "Encounter",
    "dark_sts": "Possible dark ship-to-ship transfer",
    "loitering": "Loitering",
    "ais_gap": "AIS gap",
    "spoofing": "Position spoofing",
    "identity_change": "Identity change",
    "draught_change": "Draught change",
    "port_visit": "Port visit",
    "zone_entry": "Zone entry",
}


def event_summary(ev: dict[str, Any]) -> str:
    """One sentence saying what an event is: type, vessels, where, when and how long.

    >>> from datetime import datetime, UTC
    >>> t0, t1 = datetime(2024, 3, 4, 6, tzinfo=UTC), datetime(2024, 3, 4, 9, tzinfo=UTC)
    >>> event_summary({"type": "encounter", "mmsi": 1, "other_mmsi": 2, "details": "{}",
    ...     "start": t0, "end": t1})
    'Encounter of MMSI 1 with MMSI 2 from 2024-03-04 06:00 UTC for 3.0 h.'
    """
    details = json.loads(ev.get("details") or "{}")
    text = f"{_LABELS.get(ev['type'], ev['type'])} of MMSI {ev['mmsi']}"
    if ev.get("other_mmsi") is not None:
        text += f" with MMSI {ev['other_mmsi']}"
    place = details.get("port") or details.get("zone") or details.get("place")
    if isinstance(place, str) and place:
        text += f" at {place}"
    text += f" from {ev['start'].astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if ev.get("end") is not None and ev["end"] > ev["start"]:
        text += f" for {(ev['end'] - ev['start']).total_seconds() / 3600:.1f} h"
    return text + "."


def _risks(store: Store) -> dict[int, float]:
    vessels = store.vessels()
    if vessels is None:
        return {}
    return {
        int(m): float(r)
        for m, r in zip(vessels["mmsi"].to_pylist(), vessels["risk"].to_pylist(), strict=True)
        if r is not None
    }


def _event_rows(
    events: pa.Table, risks: dict[int, float], now: str, by: str
) -> list[tuple[Any, ...]]:
    rows = []
    for ev in events.to_pylist():
        end = ev["end"] or ev["start"]
        rows.append(
            (
                ev["event_id"],
                ev["type"],
                ev["mmsi"],
                ev["other_mmsi"],
                _ms(ev["start"]),
                _ms(end),
                ev["lat"],
                ev["lon"],
                ev["confidence"],
                risks.get(ev["mmsi"]),
                event_summary(ev),
                ev["details"] or "{}",
                now,
                by,
            )
        )
    return rows


def _release(con: Connection, kind: str, ids: Sequence[str], marking: Marking) -> None:
    con.executemany(
        "DELETE FROM pub_release WHERE kind = ? AND item_id = ?", [(kind, i) for i in ids]
    )
    con.executemany(
        "INSERT INTO pub_release (kind, item_id, partner) VALUES (?, ?, ?)",
        [(kind, i, code) for i in ids for code in marking.rel_to],
    )


def _write_events(
    con: Connection, events: pa.Table, marking: Marking, risks: dict[int, float], by: str
) -> list[str]:
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    ids: list[str] = []
    for start in range(0, events.num_rows, _INSERT_BATCH):
        part = events.slice(start, _INSERT_BATCH)
        rows = _event_rows(part, risks, now, by)
        seqs = (
            [ServiceDB.next_seq(con) for _ in rows]
            if len(rows) < 100
            else _seq_block(con, len(rows))
        )
        # delete then insert (not INSERT OR REPLACE, whose deletes fire no trigger): the
        # R*Tree over positions follows the rows through the triggers
        con.executemany("DELETE FROM pub_events WHERE event_id = ?", [(r[0],) for r in rows])
        con.executemany(
            "INSERT INTO pub_events (event_id, event_type, mmsi, other_mmsi, start_ms, "
            "end_ms, lat, lon, confidence, risk, summary, details, published_at, published_by, "
            "tlp, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*r, marking.tlp, s) for r, s in zip(rows, seqs, strict=True)],
        )
        batch_ids = [r[0] for r in rows]
        _release(con, "event", batch_ids, marking)
        ids += batch_ids
    return ids


def _seq_block(con: Connection, n: int) -> list[int]:
    """``n`` consecutive change numbers in one update (bulk publications)."""
    first = ServiceDB.next_seq(con)
    last = first + n - 1
    con.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (str(last),))
    return list(range(first, last + 1))


def _sanctions(store: Store, mmsi: int) -> list[dict[str, Any]]:
    table = store.read_table("screening")
    if table is None:
        return []
    hits = [h for h in table.to_pylist() if h["mmsi"] == mmsi]
    hits.sort(key=lambda h: (h["level"] != "match", -h["score"]))
    return [
        {
            "list": h["source"],
            "entity": h["list_name"],
            "match": h["level"],
            "explanation": h["explanation"],
            "entity_id": h["entity_id"],
            "score": round(float(h["score"]), 3),
            "programs": h["programs"] or [],
        }
        for h in hits
    ]


def _reasons(raw: str | None) -> list[dict[str, Any]]:
    return [
        {
            "key": r["reason"],
            "points": round(float(r["weight"]), 2),
            "text": r.get("detail") or "",
            "event_ids": r.get("event_ids") or [],
        }
        for r in json.loads(raw or "[]")
    ]


def _report_html(store: Store, mmsi: int) -> str | None:
    from watchkeeper.publish.report import load_case, render_html

    try:
        case = load_case(store, vessel=mmsi)
    except NotFoundError:
        return None
    return render_html(case, workspace=Path(store.location))


def _vessel_row(store: Store, row: dict[str, Any], marking: Marking, by: str) -> tuple[Any, ...]:
    """The snapshot of one vessel case, report included (built before the transaction, so
    that rendering a report never holds the database's write lock)."""
    mmsi = int(row["mmsi"])
    last = store.last_positions([mmsi]).to_pylist()
    lat, lon = (last[0]["lat"], last[0]["lon"]) if last else (None, None)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return (
        mmsi,
        row["name"],
        row["imo"],
        row["flag"],
        row["ship_type"],
        row["risk"],
        json.dumps(_reasons(row["reasons"])),
        json.dumps(_sanctions(store, mmsi)),
        lat,
        lon,
        _ms(row["first_seen"]),
        _ms(row["last_seen"]),
        _report_html(store, mmsi),
        marking.tlp,
        now,
        by,
    )


def _write_vessel(con: Connection, snapshot: tuple[Any, ...], marking: Marking) -> None:
    con.execute(
        "INSERT OR REPLACE INTO pub_vessels (mmsi, name, imo, flag, ship_type, risk, reasons, "
        "sanctions, lat, lon, first_seen_ms, last_seen_ms, report_html, tlp, published_at, "
        "published_by, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*snapshot, ServiceDB.next_seq(con)),
    )
    _release(con, "vessel", [str(snapshot[0])], marking)


def _cases(store: Store, mmsi: int | None, top: int | None) -> list[dict[str, Any]]:
    vessels = store.vessels()
    if vessels is None:
        raise NotFoundError(
            f"no vessels table in {store.location}: run `watchkeeper screen` (or `vessels`) first"
        )
    rows: list[dict[str, Any]] = vessels.to_pylist()
    if mmsi is not None:
        found = [r for r in rows if r["mmsi"] == mmsi]
        if not found:
            raise NotFoundError(f"no vessel {mmsi} in {store.location}")
        return found
    assert top is not None
    if top < 1:
        raise ConfigError("top must be >= 1")
    rows.sort(key=lambda r: (-(r["risk"] or 0.0), r["mmsi"]))
    return rows[:top]


def publish_events(
    db: ServiceDB,
    events: pa.Table,
    marking: Marking,
    *,
    by: str,
    risks: dict[int, float] | None = None,
) -> list[str]:
    """Publish the rows of ``events`` (EVENTS columns, not necessarily stored: a live watch's
    alerts) with ``marking``, in one transaction; their ids. An event published again replaces
    its snapshot and moves past the partners' cursors. ``risks``: vessel risk by MMSI."""
    if events.num_rows == 0:
        return []
    with db.write() as con:
        return _write_events(con, events, marking, risks or {}, by)


def publish(
    db: ServiceDB,
    store: Store,
    marking: Marking,
    *,
    event_id: str | None = None,
    mmsi: int | None = None,
    top: int | None = None,
    all_events: bool = False,
    by: str,
) -> Published:
    """Publish exactly one of: an event, a vessel case, the ``top`` N vessel cases by risk,
    or every event (``all_events``: bulk sharing, used by benchmarks). One transaction."""
    chosen = sum(x is not None for x in (event_id, mmsi, top)) + int(all_events)
    if chosen != 1:
        raise ConfigError("give exactly one of event_id, mmsi or top")
    out = Published(marking)
    risks = _risks(store)
    if event_id is not None or all_events:
        events = store.events(event_ids=None if all_events else [event_id or ""])
        if events is None or (event_id is not None and events.num_rows == 0):
            raise NotFoundError(f"no event {event_id!r} in {store.location}")
        with db.write() as con:
            out.events = _write_events(con, events, marking, risks, by)
        return out
    cases = _cases(store, mmsi, top)
    mmsis = [int(r["mmsi"]) for r in cases]
    events = store.events(mmsis=mmsis)
    snapshots = [_vessel_row(store, row, marking, by) for row in cases]
    with db.write() as con:
        for snapshot in snapshots:
            _write_vessel(con, snapshot, marking)
        if events is not None and events.num_rows:
            out.events = _write_events(con, events, marking, risks, by)
    out.vessels = mmsis
    return out

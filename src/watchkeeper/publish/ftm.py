"""FollowTheMoney entities for sanctions tooling (OpenSanctions, yente, Aleph, nomenklatura).

* ``Vessel`` per MMSI (id ``wk-vessel-<mmsi>``): current name and ``previousName`` for the
  other names it broadcast, every IMO it claimed, MMSI, call sign, flag from the MID, and
  topics ``sanction`` (screening match) and ``mare.sts`` (a ship-to-ship reason).
* ``Risk`` per vessel with a non-zero score (id ``wk-risk-<mmsi>``): ``entity`` is the vessel,
  ``reason`` one line per risk reason with its weight, ``summary`` the capped score.
* ``UnknownLink`` per ship-to-ship event (``encounter``, ``dark_sts``; id
  ``wk-link-<event_id>``): subject and object the two vessels, ``role`` the event type,
  ``startDate``/``endDate``, ``recordId`` the event id.

Entities are built with ``followthemoney.model`` so that every property is checked against
the schema, and written as JSON lines (one ``to_dict()`` per line), the format of
``ftm``/``nomenklatura`` pipelines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from followthemoney import model
from followthemoney.proxy import EntityProxy

from watchkeeper.publish._sink import Sink, open_sink

__all__ = [
    "STS_EVENT_TYPES",
    "events_ftm",
    "link_entity",
    "risk_entity",
    "vessel_entity",
    "vessel_id",
    "vessels_ftm",
    "write_ftm",
]

STS_EVENT_TYPES = ("encounter", "dark_sts")
_STS_REASONS = ("sts_with_flagged", "dark_sts", "sts_tanker", "encounter")  # assess/risk.py


def vessel_id(mmsi: int) -> str:
    """The stable FtM id of an MMSI's Vessel entity."""
    return f"wk-vessel-{mmsi}"


def _date(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return None


def _reasons(row: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(row.get("reasons") or "[]")
    return items


def _topics(row: dict[str, Any]) -> list[str]:
    topics = ["sanction"] if row.get("sanctions_match") else []
    if any(r["reason"] in _STS_REASONS for r in _reasons(row)):
        topics.append("mare.sts")
    return topics


def vessel_entity(row: dict[str, Any]) -> EntityProxy:
    """A ``Vessel`` from a vessels row (VESSELS columns)."""
    e = model.make_entity("Vessel")
    e.id = vessel_id(row["mmsi"])
    name = row.get("name") or f"MMSI {row['mmsi']}"
    e.add("name", name)
    e.add("previousName", [n for n in row.get("names") or [] if n and n != name])
    e.add("mmsi", str(row["mmsi"]))
    imos = [row["imo"]] if row.get("imo") else []
    imos += [i for i in row.get("imos") or [] if i and i not in imos]
    e.add("imoNumber", [f"IMO{i:07d}" for i in imos])
    e.add("callSign", row.get("callsign"))
    e.add("callSign", [c for c in row.get("callsigns") or [] if c])
    e.add("flag", (row.get("flag") or "").lower() or None)
    e.add("topics", _topics(row))
    return e


def risk_entity(row: dict[str, Any]) -> EntityProxy | None:
    """A ``Risk`` on the vessel with its reasons; None when the score is 0."""
    if not row.get("risk"):
        return None
    r = model.make_entity("Risk")
    r.id = f"wk-risk-{row['mmsi']}"
    r.add("entity", vessel_id(row["mmsi"]))
    reasons = _reasons(row)
    r.add("reason", [f"{x['reason']} +{x['weight']:g}: {x.get('detail', '')}" for x in reasons])
    r.add("summary", f"watchkeeper risk {row['risk']:g}/100")
    r.add("topics", _topics(row))
    r.add("startDate", _date(row.get("first_seen")))
    r.add("endDate", _date(row.get("last_seen")))
    r.add("publisher", "watchkeeper")
    return r


def link_entity(event: dict[str, Any]) -> EntityProxy | None:
    """An ``UnknownLink`` between the two vessels of a ship-to-ship event; None otherwise."""
    if event["type"] not in STS_EVENT_TYPES or event.get("other_mmsi") is None:
        return None
    link = model.make_entity("UnknownLink")
    link.id = f"wk-link-{event['event_id']}"
    link.add("subject", vessel_id(event["mmsi"]))
    link.add("object", vessel_id(event["other_mmsi"]))
    link.add("role", f"ship-to-ship transfer ({event['type']})")
    link.add("startDate", _date(event.get("start")))
    link.add("endDate", _date(event.get("end")))
    link.add("recordId", event["event_id"])
    where = f" at {event['lat']:.4f}, {event['lon']:.4f}" if event.get("lat") is not None else ""
    link.add(
        "description",
        f"{event['type']}{where}, confidence {event.get('confidence') or 0:.2f}",
    )
    return link


def vessels_ftm(vessels: pa.Table) -> Iterator[EntityProxy]:
    """Vessel and Risk entities for every vessels row."""
    for row in vessels.to_pylist():
        yield vessel_entity(row)
        risk = risk_entity(row)
        if risk is not None:
            yield risk


def events_ftm(events: pa.Table, vessels: pa.Table | None = None) -> Iterator[EntityProxy]:
    """UnknownLinks for ship-to-ship events, after the Vessels they reference."""
    links = [x for x in map(link_entity, events.to_pylist()) if x is not None]
    wanted = {
        m
        for e in events.to_pylist()
        if e["type"] in STS_EVENT_TYPES
        for m in (e["mmsi"], e.get("other_mmsi"))
        if m is not None
    }
    known = {}
    if vessels is not None:
        known = {r["mmsi"]: r for r in vessels.to_pylist() if r["mmsi"] in wanted}
    for mmsi in sorted(wanted):
        yield vessel_entity(known.get(mmsi, {"mmsi": mmsi}))
    yield from links


def write_ftm(entities: Iterable[EntityProxy], out: Sink) -> int:
    """Write entities as FtM JSON lines; entities written."""
    n = 0
    with open_sink(out) as stream:
        for e in entities:
            line = json.dumps(e.to_dict(), ensure_ascii=False, sort_keys=True)
            stream.write(line.encode("utf-8") + b"\n")
            n += 1
    return n

"""Facts behind the risk reasons: what each piece of evidence rests on, so that a fact counts
once in a vessel's risk however many detectors see it (``docs/risk.md``, "A fact counts once").

A fact is a tuple such as ``("invalid_imo", 9074728)``, ``("flag", "KP")`` or
``("gap", mmsi, start)``. :func:`count_facts_once` takes the evidence strongest first and
keeps a piece only when it brings a fact no stronger kept piece brought.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Evidence", "Fact", "count_facts_once", "event_details", "event_facts", "event_secs"]

Fact = tuple[Any, ...]
"""One thing known about a vessel, e.g. ``("invalid_imo", 9074728)`` or ``("flag", "KP")``."""


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence for a reason: a vessel-level fact or one event."""

    reason: str
    weight: float  # the reason's full weight
    facts: frozenset[Fact]
    conf: float = 1.0
    event_id: str | None = None
    detail: str = ""

    @property
    def points(self) -> float:
        """What it would add: the weight times the confidence."""
        return self.weight * self.conf


def event_details(ev: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(ev.get("details") or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def count_facts_once(
    evidence: list[Evidence],
) -> tuple[list[Evidence], dict[str, list[Evidence]]]:
    """The evidence that counts, strongest first, and what each reason also saw: a piece
    counts when it rests on a fact no stronger counted piece rested on."""
    counted: dict[Fact, str] = {}
    kept: list[Evidence] = []
    also: dict[str, list[Evidence]] = defaultdict(list)
    for e in sorted(evidence, key=lambda e: (-e.points, e.reason, e.event_id or "")):
        if e.facts and e.facts <= counted.keys():
            also[counted[min(e.facts, key=repr)]].append(e)
            continue
        kept.append(e)
        for fact in e.facts:
            counted.setdefault(fact, e.reason)
    return kept, also


def _time_key(value: Any) -> int | None:
    secs = event_secs(value)
    return None if secs is None else round(secs)


def _change_fact(c: dict[str, Any]) -> Fact:
    """The fact of one entry of an identity_change event's ``details.changes``."""
    kind = c.get("kind")
    if kind == "invalid_imo":
        return ("invalid_imo", c.get("imo"))
    if kind == "imo_shared":
        return ("imo_shared", c.get("imo"))
    if kind == "change":
        pair = tuple(sorted((str(c.get("from")), str(c.get("to")))))
        return ("identity", c.get("field"), *pair)
    return ("identity", kind, json.dumps(c, sort_keys=True, default=str))


def event_facts(ev: dict[str, Any], mmsi: int) -> frozenset[Fact]:
    """The facts about vessel ``mmsi`` an event rests on (the events table row ``ev``).

    identity_change: each change (an invalid IMO is the fact ``("invalid_imo", n)`` the
    vessel-level reason counts too); ais_gap: the silence (vessel, start); loitering: the
    stop; dark_sts: the meeting, the partner's loitering it explains and its own gaps;
    others: the event itself.

    >>> event_facts({"event_id": "e1", "type": "identity_change", "mmsi": 1,
    ...     "details": '{"changes": [{"kind": "invalid_imo", "imo": 1234567}]}'}, 1)
    frozenset({('invalid_imo', 1234567)})
    """
    kind, d, eid = ev["type"], event_details(ev), ev["event_id"]
    if kind == "identity_change" and (changes := d.get("changes")):
        return frozenset(_change_fact(c) for c in changes if isinstance(c, dict))
    if kind == "ais_gap":
        start = _time_key(ev.get("start"))
        return frozenset({("gap", ev["mmsi"], start) if start is not None else ("event", eid)})
    if kind == "loitering":
        return frozenset({("stop", eid)})
    if kind == "dark_sts":
        out: set[Fact] = {("meeting", eid)}
        if (lo := d.get("loitering_event_id")) and ev["mmsi"] == mmsi:
            out.add(("stop", lo))
        for g in d.get("gaps") or []:
            if isinstance(g, dict) and g.get("mmsi") == mmsi and g.get("start"):
                out.add(("gap", mmsi, _time_key(g["start"])))
        return frozenset(out)
    return frozenset({("event", eid)})


def event_secs(value: Any) -> float | None:
    """Epoch seconds of an event time (datetime or ISO text), None when absent."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return float(value.timestamp()) if isinstance(value, datetime) else None

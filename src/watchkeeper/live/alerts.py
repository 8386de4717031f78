"""Alerts from the events of each detection run, with states, each transition emitted once.

An alert is an event seen live; its id is the event's id (type, vessels and start, hashed:
:func:`watchkeeper.detect.events.event_id`), so a rerun over the same data names it again.
Its state, at each detection run over the live window:

* ``provisional``: reported, and its condition still holds at the live edge with no end
  yet: a gap still open (the vessel silent up to the data's end).
* ``confirmed``: reported with an end at the live edge: the detector's minimum is reached
  and the condition is going on (an encounter whose ships are still together).
* ``closed``: reported, ended before the live edge (the gap was closed by a new position,
  the ships parted).
* ``retracted``: emitted earlier, inside the window still, and no longer reported (late
  data from another receiver filled the gap, a re-run cut the run below its minimum).

A state only moves forward (provisional, confirmed, closed), so a run that flickers at the
live edge gives one alert per state, and each (alert id, state) pair is emitted at most
once, ever: a retracted alert that comes back is not announced again in a state it had.
The journal (:class:`AlertJournal`) is the record of what was emitted; it is appended before
an alert goes to an output, so a restart never repeats one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa

__all__ = [
    "AlertJournal",
    "AlertParams",
    "AlertState",
    "State",
    "pending_for",
    "read_jsonl",
    "transitions",
]


class State(StrEnum):
    """The states of an alert (module docstring)."""

    PROVISIONAL = "provisional"
    CONFIRMED = "confirmed"
    CLOSED = "closed"
    RETRACTED = "retracted"


_RANK = {State.PROVISIONAL: 0, State.CONFIRMED: 1, State.CLOSED: 2}


@dataclass(frozen=True)
class AlertParams:
    """When an event counts as going on at the live edge."""

    # An event whose end is this close to the data's end may still be going on: class A
    # ships under way report every 2-10 s and at anchor every 3 min (ITU-R M.1371-5, table
    # 1), class B every 30 s - 3 min; the detectors work on a 10 min resampled track
    # (resample.step_s), so a run still going on ends within one step of the data's end.
    edge_s: float = 600.0


@dataclass
class AlertState:
    """What is known of one alert: its current state and every state it was emitted in."""

    state: State
    emitted: set[str] = field(default_factory=set)
    start: datetime | None = None


def _state_of(end: datetime | None, data_end: datetime, params: AlertParams) -> State:
    if end is None:
        return State.PROVISIONAL
    if end >= data_end - timedelta(seconds=params.edge_s):
        return State.CONFIRMED
    return State.CLOSED


def transitions(
    known: dict[str, AlertState],
    events: pa.Table,
    *,
    data_end: datetime,
    window_start: datetime,
    params: AlertParams = AlertParams(),
    retract: bool = True,
) -> list[dict[str, Any]]:
    """The alerts to emit after a detection run; updates ``known`` in place.

    ``events`` is the run's events table over the window that starts at ``window_start``;
    alerts of events that started before it have left the window and are not retracted.
    ``retract=False``: ``events`` covers some vessels only (the fast alerts), so an alert
    missing from it is not disproved.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in events.to_pylist():
        aid = str(row["event_id"])
        seen.add(aid)
        new = _state_of(row["end"], data_end, params)
        cur = known.get(aid)
        if cur is None:
            cur = known[aid] = AlertState(State.RETRACTED, start=row["start"])
        forward = cur.state == State.RETRACTED or _RANK[new] > _RANK[cur.state]
        if not forward:
            continue
        cur.state = new
        if new.value in cur.emitted:
            continue
        cur.emitted.add(new.value)
        out.append(_alert(aid, new, row, data_end))
    for aid, cur in known.items() if retract else ():
        if aid in seen or cur.state == State.RETRACTED or not cur.emitted:
            continue
        if cur.start is not None and cur.start < window_start:
            continue  # left the window: not disproved
        if cur.start is not None and cur.start > data_end:
            continue  # begun after the run's data (a fast alert, a run that started earlier)
        cur.state = State.RETRACTED
        if State.RETRACTED.value not in cur.emitted:
            cur.emitted.add(State.RETRACTED.value)
            out.append({"alert_id": aid, "state": State.RETRACTED.value, "data_end": data_end})
    return [_jsonable(a) for a in out]


def _alert(aid: str, state: State, row: dict[str, Any], data_end: datetime) -> dict[str, Any]:
    return {
        "alert_id": aid,
        "state": state.value,
        "type": row["type"],
        "mmsi": row["mmsi"],
        "other_mmsi": row["other_mmsi"],
        "start": row["start"],
        "end": row["end"],
        "lat": row["lat"],
        "lon": row["lon"],
        "confidence": row["confidence"],
        "data_end": data_end,
        "details": json.loads(row["details"] or "{}"),
        "evidence": json.loads(row["evidence"] or "{}"),
    }


def _jsonable(alert: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in alert.items()}


class AlertJournal:
    """Every alert emitted, one JSON line each, appended before the alert is delivered.

    Read back at start, it gives each alert's states (so nothing is emitted twice) and the
    lines an output may have missed when the process died between the two writes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.records = read_jsonl(path)
        self._file = path.open("ab")

    def known(self) -> dict[str, AlertState]:
        """The state of every alert in the journal."""
        out: dict[str, AlertState] = {}
        for rec in self.records:
            aid, state = str(rec["alert_id"]), State(rec["state"])
            start = rec.get("start")
            cur = out.setdefault(
                aid,
                AlertState(state, start=datetime.fromisoformat(start) if start else None),
            )
            cur.state = state
            cur.emitted.add(state.value)
        return out

    def append(self, alerts: Iterable[dict[str, Any]]) -> None:
        """Record alerts durably (fsync) before they are delivered."""
        data = b"".join(json.dumps(a, sort_keys=True).encode() + b"\n" for a in alerts)
        if not data:
            return
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the journal file."""
        self._file.close()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file; a torn last line is cut off (a killed writer)."""
    if not path.exists():
        return []
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    if len(whole) != len(data):
        with path.open("r+b") as f:
            f.truncate(len(whole))
    out = []
    for line in whole.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and "alert_id" in rec and "state" in rec:
            out.append(rec)
    return out


def pending_for(
    output: list[dict[str, Any]], journal: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Journal records an output file does not hold yet (a crash between the two writes)."""
    have = {(r["alert_id"], r["state"]) for r in output}
    return [r for r in journal if (r["alert_id"], r["state"]) not in have]

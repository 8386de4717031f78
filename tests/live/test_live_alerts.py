"""Alert states: forward only, each (id, state) once, retracted when no longer reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watchkeeper.detect.events import event, events_table
from watchkeeper.live.alerts import AlertJournal, AlertState, pending_for, transitions

T0 = datetime(2024, 3, 4, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _run(
    known: dict[str, AlertState], rows: list[dict[str, Any]], data_end: datetime
) -> list[tuple[str, str]]:
    alerts = transitions(
        known, events_table(rows), data_end=data_end, window_start=data_end - 24 * HOUR
    )
    return [(a["alert_id"], a["state"]) for a in alerts]


def test_an_open_gap_is_provisional_then_closed_and_never_repeated() -> None:
    known: dict[str, AlertState] = {}
    gap = event("ais_gap", 1, T0, None, 30.0, 120.0, details={"open": True})
    assert _run(known, [gap], T0 + 8 * HOUR) == [(gap["event_id"], "provisional")]
    assert _run(known, [gap], T0 + 9 * HOUR) == []  # unchanged: nothing new
    closed = {**gap, "end": T0 + 10 * HOUR}
    assert _run(known, [closed], T0 + 12 * HOUR) == [(gap["event_id"], "closed")]
    assert _run(known, [gap], T0 + 12 * HOUR) == []  # states move forward only


def test_a_run_at_the_live_edge_is_confirmed_then_closed() -> None:
    known: dict[str, AlertState] = {}
    enc = event("encounter", 1, T0, T0 + 3 * HOUR, 30.0, 120.0, other=2)
    assert _run(known, [enc], T0 + 3 * HOUR) == [(enc["event_id"], "confirmed")]
    assert _run(known, [enc], T0 + 5 * HOUR) == [(enc["event_id"], "closed")]


def test_an_alert_no_longer_reported_is_retracted_unless_it_left_the_window() -> None:
    known: dict[str, AlertState] = {}
    gap = event("ais_gap", 1, T0, None, 30.0, 120.0)
    _run(known, [gap], T0 + 8 * HOUR)
    assert _run(known, [], T0 + 9 * HOUR) == [(gap["event_id"], "retracted")]
    assert _run(known, [gap], T0 + 10 * HOUR) == []  # provisional was said already
    old = event("loitering", 5, T0, T0 + HOUR, 30.0, 120.0)
    _run(known, [old], T0 + 5 * HOUR)
    assert _run(known, [], T0 + 30 * HOUR) == []  # started before the window: aged out


def test_the_journal_gives_the_states_back_and_what_an_output_missed(tmp_path: Path) -> None:
    journal = AlertJournal(tmp_path / "alerts.jsonl")
    known: dict[str, AlertState] = {}
    gap = event("ais_gap", 1, T0, None, 30.0, 120.0)
    alerts = transitions(known, events_table([gap]), data_end=T0 + 8 * HOUR, window_start=T0 - HOUR)
    journal.append(alerts)
    journal.close()
    with (tmp_path / "alerts.jsonl").open("a") as f:
        f.write('{"alert_id": "torn')  # killed inside a write
    again = AlertJournal(tmp_path / "alerts.jsonl")
    assert {k: v.emitted for k, v in again.known().items()} == {gap["event_id"]: {"provisional"}}
    assert pending_for([], again.records) == again.records
    assert pending_for(again.records, again.records) == []
    again.close()

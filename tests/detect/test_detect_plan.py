"""The detection plan: windows from day counts, halos, the keep rule and stitching."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa

from watchkeeper.detect import DetectParams
from watchkeeper.detect.events import event
from watchkeeper.detect.plan import anchor, group_days, keep, make_plan, stitch
from watchkeeper.schema import EVENTS
from watchkeeper.tracks.build import parse_time


def _row(kind: str, start: str, end: str | None, window: int) -> dict[str, object]:
    r = event(kind, 1, parse_time(start), parse_time(end) if end else None, 0.0, 0.0)
    return {**r, "window": window}


def test_stitch_keeps_the_first_part_and_the_latest_window_end() -> None:
    rows = [
        _row("loitering", "2024-01-01T20:00", "2024-01-02T03:00", 0),  # cut at window end
        _row("loitering", "2024-01-01T21:00", "2024-01-02T08:00", 1),  # cut at window start
        _row("loitering", "2024-01-02T12:00", "2024-01-02T15:00", 1),  # a later, separate run
        _row("port_visit", "2024-01-01T23:00", None, 0),  # still inside at the window end
        _row("port_visit", "2024-01-01T23:30", "2024-01-02T05:00", 1),
        _row("spoofing", "2024-01-01T23:00", "2024-01-01T23:10", 0),
        _row("spoofing", "2024-01-01T23:05", "2024-01-01T23:15", 1),  # not a run: untouched
    ]
    schema = pa.schema([*EVENTS, pa.field("window", pa.int32())])
    out = sorted(stitch(pa.Table.from_pylist(rows, schema=schema)).to_pylist(), key=str)
    loiter = sorted((r for r in out if r["type"] == "loitering"), key=lambda r: r["start"])
    assert [(r["start"].hour, r["end"].hour) for r in loiter] == [(20, 8), (12, 15)]
    assert loiter[0]["event_id"] == rows[0]["event_id"]
    visits = [r for r in out if r["type"] == "port_visit"]
    assert [(v["start"].hour, v["end"].hour) for v in visits] == [(23, 5)]
    assert sum(r["type"] == "spoofing" for r in out) == 2


def test_a_stitched_run_has_the_duration_and_end_state_of_the_whole_run() -> None:
    import json

    first = _row("port_visit", "2024-01-01T20:00", None, 0)
    later = _row("port_visit", "2024-01-01T21:00", "2024-01-02T05:00", 1)
    first["details"] = json.dumps(
        {"duration_h": 7.0, "min_distance_km": 0.2, "open": True, "observed_start": "a"}
    )
    later["details"] = json.dumps(
        {"duration_h": 8.0, "min_distance_km": 0.5, "open": False, "observed_start": "b"}
    )
    schema = pa.schema([*EVENTS, pa.field("window", pa.int32())])
    (run,) = stitch(pa.Table.from_pylist([first, later], schema=schema)).to_pylist()
    assert json.loads(run["details"]) == {
        "duration_h": 9.0,  # 20:00 to 05:00, not the first part's 7 h
        "min_distance_km": 0.2,  # the closest of both parts
        "open": False,  # the state at the end, seen by the later window
        "observed_start": "a",  # the beginning, seen by the earliest
    }
    assert run["end"].hour == 5


def test_windows_group_days_up_to_the_budget() -> None:
    days = {"2024-01-03": 13, "2024-01-01": 13, "2024-01-02": 13}
    assert group_days(days, 10_000) == [("2024-01-01", "2024-01-03")]
    assert group_days(days, 30) == [("2024-01-01", "2024-01-02"), ("2024-01-03", "2024-01-03")]
    assert len(group_days(days, 1)) == 3


def test_plan_windows_carry_their_halos_and_the_data_end() -> None:
    days = {"2024-01-01": 5, "2024-01-02": 5}
    end = parse_time("2024-01-02T20:00")
    plan = make_plan(days, end, DetectParams(window_positions=5))
    first, second = plan.windows
    assert (first.read_start, first.read_end) == (
        parse_time("2023-12-31T21:00"),
        parse_time("2024-01-02T03:00"),
    )
    # the runner adds each vessel's next position: a silence open in a window runs to the end
    assert first.data_end == end and not first.last
    assert second.data_end == end and second.last
    assert second.identities_start == second.start - timedelta(hours=48)


def test_keep_takes_runs_from_the_halos_and_other_events_from_the_window_only() -> None:
    plan = make_plan({"2024-01-02": 1}, None, DetectParams())
    rows = [
        event("loitering", 1, parse_time("2024-01-01T22:00"), None, 0.0, 0.0),  # run in halo
        event("spoofing", 1, parse_time("2024-01-01T22:00"), None, 0.0, 0.0),  # not a run
        event("spoofing", 1, parse_time("2024-01-02T22:00"), None, 0.0, 0.0),
        # a draught change belongs to the window of its end (the new value's first report)
        event(
            "draught_change",
            1,
            parse_time("2024-01-01T20:00"),
            parse_time("2024-01-02T01:00"),
            0.0,
            0.0,
        ),
    ]
    table = pa.Table.from_pylist(rows, schema=EVENTS)
    assert keep(table, plan.windows[0]).to_pylist() == [True, False, True, True]
    assert anchor(table).to_pylist()[3] == parse_time("2024-01-02T01:00")


def test_a_stitched_visit_takes_the_place_where_it_came_nearest_and_its_last_position() -> None:
    import json

    first = _row("port_visit", "2024-01-01T20:00", None, 0)
    later = _row("port_visit", "2024-01-01T21:00", "2024-01-02T05:00", 1)
    first["lat"], later["lat"] = 10.0, 10.001  # two learned places a hundred metres apart
    first["details"] = json.dumps({"place": "A", "min_distance_km": 0.3, "duration_h": 0.5})
    later["details"] = json.dumps(
        {
            "place": "B",
            "min_distance_km": 0.1,
            "duration_h": 7.5,
            "last_seen": "2024-01-02T04:30:00+00:00",
        }
    )
    schema = pa.schema([*EVENTS, pa.field("window", pa.int32())])
    (run,) = stitch(pa.Table.from_pylist([first, later], schema=schema)).to_pylist()
    details = json.loads(run["details"])
    assert (run["lat"], details["place"], details["min_distance_km"]) == (10.001, "B", 0.1)
    assert details["duration_h"] == 8.5  # 20:00 to the last position inside, 04:30
    # the earlier part nearer: its place stays
    first["details"] = json.dumps({"place": "A", "min_distance_km": 0.05, "duration_h": 0.5})
    (run,) = stitch(pa.Table.from_pylist([first, later], schema=schema)).to_pylist()
    assert (run["lat"], json.loads(run["details"])["place"]) == (10.0, "A")

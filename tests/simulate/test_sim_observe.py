"""Observability from the received reports: each rule on crafted tracks, and on a real run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from watchkeeper.simulate._geo import offset
from watchkeeper.simulate.fleet import TruthNote
from watchkeeper.simulate.observe import (
    ObserveParams,
    Received,
    Track,
    is_observable,
    mark_observable,
)
from watchkeeper.simulate.scenario import PORTS, SHANGHAI

H = 3600.0
END = 72 * H  # the data's end (scenario seconds)
A, B = 111, 222  # two MMSIs
SEA = (28.0, 125.0)  # in the East China Sea, far from ports


def track(*minutes: float, at: tuple[float, float] = SEA) -> Track:
    """A still vessel seen at the given minutes after hour 10."""
    t = 10 * H + np.array(minutes, dtype=np.float64) * 60.0
    return Track(t, np.full(t.size, at[0]), np.full(t.size, at[1]))


def note(
    type_: str,
    start_h: float,
    end_h: float | None,
    *,
    other: int | None = None,
    observable: bool = True,
    details: dict[str, object] | None = None,
) -> TruthNote:
    """A truth event of vessel A from ``start_h`` to ``end_h`` hours."""
    end = None if end_h is None else end_h * H
    return TruthNote(
        type_, A, other, start_h * H, end, *SEA, illicit=False, case="",
        observable=observable, details=details or {},
    )  # fmt: skip


def seen(
    e: TruthNote, tracks: dict[int, Track], statics: dict[int, list[float]] | None = None
) -> bool:
    """Whether ``e`` is observable given these received tracks and static report times."""
    rx = Received(tracks, {k: np.array(v) for k, v in (statics or {}).items()})
    return is_observable(e, rx, END)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [((), False), ((30,), False), ((30, 50), False), ((30, 60), True), ((-30, 130), False)],
)
def test_loitering_needs_two_looks_30_min_apart_inside(
    minutes: tuple[float, ...], expected: bool
) -> None:
    e = note("loitering", 10, 12)
    assert seen(e, {A: track(*minutes)}) is expected


def test_encounter_needs_both_vessels_seen() -> None:
    e = note("encounter", 10, 12, other=B)
    assert seen(e, {A: track(5, 60), B: track(5, 60)})
    assert not seen(e, {A: track(5, 60), B: track(5)})
    assert not seen(e, {A: track(5, 60)})


def test_dark_sts_visible_seen_and_partner_on_both_sides() -> None:
    e = note("dark_sts", 10, 12, other=B)
    partner = track(-120, 240)  # before and after the event, silent during it
    assert seen(e, {A: track(5, 60), B: partner})
    assert not seen(e, {A: track(5, 60), B: track(-120)})  # never came back
    assert not seen(e, {A: track(5), B: partner})  # the visible one seen once
    assert seen(e, {A: track(-60, 200), B: partner})  # both dark: two gaps


def test_gaps_need_positions_around_them() -> None:
    closed, open_ = note("ais_gap", 10, 18), note("ais_gap", 10, None)
    assert seen(closed, {A: track(0, 8 * 60)})
    assert not seen(closed, {A: track(0)})
    assert seen(open_, {A: track(0)})
    assert not seen(open_, {})


def test_port_visit_needs_a_position_at_the_port() -> None:
    port = PORTS[0]
    e = note("port_visit", 10, 20, details={"port": port.name})
    assert seen(e, {A: track(60, at=port.berth)})
    assert not seen(e, {A: track(60)})  # a position during the visit, but far away
    assert not seen(e, {A: track(-60, at=port.berth)})  # at the port before the visit


def test_zone_entry_needs_a_position_inside_and_one_before() -> None:
    e = note("zone_entry", 10, 20, details={"zone": "sts_hotspot_ecs"})
    lat, lon = offset(*SHANGHAI, 160.0, 350_000.0)  # 350 km SSE of Shanghai
    inside = (float(lat), float(lon))
    both = Track(
        np.array([9 * H, 11 * H]), np.array([31.0, inside[0]]), np.array([122.0, inside[1]])
    )
    assert seen(e, {A: both})
    assert not seen(e, {A: track(60, at=inside)})  # first seen inside: no entry to see
    assert not seen(e, {A: track(-60, 60, at=(31.0, 122.0))})  # never inside
    # seen inside before the entry too: the data shows no crossing
    assert not seen(e, {A: track(-60, 60, at=inside)})


def test_static_changes_need_reports_before_and_after() -> None:
    change = note("draught_change", 10, 10)
    assert seen(change, {}, {A: [9 * H, 30 * H]})
    assert not seen(change, {}, {A: [9 * H]})
    assert not seen(change, {}, {A: [11 * H]})
    held = note("identity_change", 0, 72)  # a fraudulent IMO, all along
    assert seen(held, {}, {A: [30 * H]})
    assert not seen(held, {}, {})


def test_spoofing_needs_a_position_inside_and_another_near() -> None:
    e = note("spoofing", 10, 12)
    assert seen(e, {A: track(-60, 30)})
    assert not seen(e, {A: track(30)})
    assert not seen(e, {A: track(-600, 30)})  # the other one is 10 h before


def test_mark_observable_keeps_the_reason() -> None:
    on, off = note("loitering", 10, 12), note("loitering", 10, 12, observable=False)
    rx = Received({A: track(5)}, {})
    marked = mark_observable([on, off], rx, END)
    assert [e.observable for e in marked] == [False, False]
    assert [e.details["unobservable"] for e in marked] == ["not_received", "ais_off"]
    ok = mark_observable([on], Received({A: track(5, 60)}, {}), END)[0]
    assert ok.observable and "unobservable" not in ok.details


def test_stricter_params_see_less() -> None:
    e = note("loitering", 10, 12)
    rx = Received({A: track(5, 40)}, {})
    assert is_observable(e, rx, END)
    assert not is_observable(e, rx, END, ObserveParams(min_span_s=3 * H))


def test_simulated_truth_is_marked_from_received_data(sim_dir: Path) -> None:
    doc = json.loads((sim_dir / "truth.json").read_text())
    events = doc["events"]
    gaps = [e for e in events if e["type"] == "ais_gap"]
    assert gaps and all(e["observable"] for e in gaps)  # gaps come from the received data
    loiter = [e for e in events if e["type"] == "loitering"]
    hidden = [e for e in loiter if not e["observable"]]
    assert 0 < len(hidden) < len(loiter)
    assert all(e["details"]["unobservable"] in {"ais_off", "not_received"} for e in hidden)

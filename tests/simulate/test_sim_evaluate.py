"""evaluate: the truth scores 1.0, nothing scores 0, and a wrong detection lowers precision."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from watchkeeper.schema import EVENTS
from watchkeeper.simulate.evaluate import Truth, evaluate, load_truth, truth_as_results
from watchkeeper.simulate.fleet import TruthNote
from watchkeeper.simulate.observe import Received, Track, mark_observable


def test_truth_scores_one(sim_dir: Path) -> None:
    truth = load_truth(sim_dir / "truth.json")
    report = evaluate(truth, *truth_as_results(truth))
    for typ, m in report["events"].items():
        if m["truth"]:
            assert m["precision"] == m["recall"] == 1.0, typ
    assert report["deliberate_gaps"]["recall"] == 1.0
    flags = report["deliberate_flags"]
    assert flags["flagged"] > 0 and flags["precision"] == 1.0
    assert report["dark_sts_partner_named"]["recall"] == 1.0
    assert report["dprk_port_visits"]["truth"] > 0
    assert report["dprk_port_visits"]["recall"] == 1.0
    assert report["sanctions"]["precision"] == report["sanctions"]["recall"] == 1.0
    assert report["risk"]["precision_at_k"] == 1.0


def test_empty_result_scores_zero(sim_dir: Path) -> None:
    report = evaluate(load_truth(sim_dir / "truth.json"), None, None)
    assert all(m["precision"] == m["recall"] == 0.0 for m in report["events"].values())
    assert report["sanctions"]["recall"] == report["risk"]["precision_at_k"] == 0.0
    assert report["deliberate_flags"] == {"flagged": 0, "right": 0, "precision": 0.0}


def test_wrong_partner_and_spurious_events(sim_dir: Path) -> None:
    truth = load_truth(sim_dir / "truth.json")
    events, vessels = truth_as_results(truth)
    rows = events.to_pylist()
    for r in rows:
        if r["type"] == "dark_sts":
            r["other_mmsi"] = 123456789
    spurious = dict(rows[0], type="spoofing", mmsi=987654321, other_mmsi=None)
    report = evaluate(truth, pa.Table.from_pylist([*rows, spurious], schema=EVENTS), vessels)
    assert report["dark_sts_partner_named"]["recall"] == 0.0
    sp = report["events"]["spoofing"]
    assert sp["recall"] == 1.0
    assert sp["precision"] == pytest.approx(sp["truth"] / (sp["truth"] + 1))


def _row(e: TruthNote, i: int) -> dict[str, Any]:
    """A truth.json row of a truth note (times as ISO strings, as ``write_truth`` writes)."""
    row = asdict(e)
    row["id"] = f"t{i:05d}"
    for k in ("start", "end"):
        row[k] = datetime.fromtimestamp(T0 + row[k], tz=UTC).isoformat()
    return row


T0 = 1_709_251_200.0  # 2024-03-01T00:00Z


def test_unreceived_event_counts_in_planted_recall_only() -> None:
    """Two loitering events, one with no received position: observable recall excludes it,
    planted recall counts it, and a detection of it is still a true positive."""
    seen = TruthNote("loitering", 111, None, 36_000.0, 43_200.0, 28.0, 125.0, False, "")
    hidden = TruthNote("loitering", 222, None, 36_000.0, 43_200.0, 28.0, 125.0, False, "")
    t = np.array([36_600.0, 40_200.0])
    rx = Received({111: Track(t, np.full(2, 28.0), np.full(2, 125.0))}, {})
    marked = mark_observable([seen, hidden], rx, 259_200.0)
    assert [e.observable for e in marked] == [True, False]
    truth = Truth([_row(e, i) for i, e in enumerate(marked)], [], {})
    events, _ = truth_as_results(truth)
    only_seen = evaluate(truth, events.filter(pc.equal(events["mmsi"], 111)), None)
    m = only_seen["events"]["loitering"]
    assert (m["truth"], m["unobservable"], m["planted"]) == (1, 1, 2)
    assert (m["recall"], m["recall_planted"], m["precision"]) == (1.0, 0.5, 1.0)
    only_hidden = evaluate(truth, events.filter(pc.equal(events["mmsi"], 222)), None)
    m = only_hidden["events"]["loitering"]
    assert (m["recall"], m["recall_planted"], m["precision"]) == (0.0, 0.5, 1.0)

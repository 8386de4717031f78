"""evaluate: the truth scores 1.0, nothing scores 0, and a wrong detection lowers precision."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.schema import EVENTS
from watchkeeper.simulate.evaluate import evaluate, load_truth, truth_as_results


def test_truth_scores_one(sim_dir: Path) -> None:
    truth = load_truth(sim_dir / "truth.json")
    report = evaluate(truth, *truth_as_results(truth))
    for typ, m in report["events"].items():
        if m["truth"]:
            assert m["precision"] == m["recall"] == 1.0, typ
    assert report["deliberate_gaps"]["recall"] == 1.0
    assert report["dark_sts_partner_named"]["recall"] == 1.0
    assert report["sanctions"]["precision"] == report["sanctions"]["recall"] == 1.0
    assert report["risk"]["precision_at_k"] == 1.0


def test_empty_result_scores_zero(sim_dir: Path) -> None:
    report = evaluate(load_truth(sim_dir / "truth.json"), None, None)
    assert all(m["precision"] == m["recall"] == 0.0 for m in report["events"].values())
    assert report["sanctions"]["recall"] == report["risk"]["precision_at_k"] == 0.0


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

"""accuracy page: both recalls and the unobservable counts are shown, from real reports."""

from __future__ import annotations

from pathlib import Path

from watchkeeper.simulate.accuracy import StageRun, render_markdown
from watchkeeper.simulate.evaluate import evaluate, load_truth, truth_as_results


def test_page_shows_observable_and_planted_recall(sim_dir: Path) -> None:
    truth = load_truth(sim_dir / "truth.json")
    events, _ = truth_as_results(truth)
    observable = events.filter([bool(r.get("observable", True)) for r in truth.events])
    report = evaluate(truth, observable, None)  # a detector that finds exactly the observable
    m = report["events"]["loitering"]
    assert m["recall"] == 1.0 and m["unobservable"] > 0
    page = render_markdown([11], 3.0, [report], [[StageRun("simulate", "ok", 1.0)]])
    row = next(line for line in page.splitlines() if line.startswith("| loitering |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == f"{m['truth']:.1f}"
    assert cells[2].startswith(f"{m['unobservable']:.1f}")
    assert cells[5] == "**1.00**"
    assert cells[6] == f"{m['recall_planted']:.2f}" != "1.00"
    assert "recall, all planted" in page

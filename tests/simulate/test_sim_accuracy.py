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


def test_page_scores_the_nmea_and_the_csv_path_side_by_side(sim_dir: Path) -> None:
    truth = load_truth(sim_dir / "truth.json")
    events, _ = truth_as_results(truth)
    report = evaluate(truth, events, None)
    # a CSV path that lost every draught change
    report["csv_events"] = evaluate(
        truth, events.filter([r["type"] != "draught_change" for r in truth.events]), None
    )["events"]
    page = render_markdown([11], 3.0, [report], [[StageRun("simulate", "ok", 1.0)]])
    assert "## NMEA and CSV paths" in page
    section = page.split("## NMEA and CSV paths")[1].splitlines()
    row = next(line for line in section if line.startswith("| draught_change |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    m = report["events"]["draught_change"]
    assert m["detected"] > 0
    nmea = [f"{m['truth']:.1f}", f"{m['detected']:.1f}", "1.00", "1.00"]
    assert cells[1:] == [*nmea, "0.0", "0.00", "0.00"]


def test_page_without_a_csv_path_has_no_side_by_side_table(sim_dir: Path) -> None:
    truth = load_truth(sim_dir / "truth.json")
    report = evaluate(truth, truth_as_results(truth)[0], None)
    page = render_markdown([11], 3.0, [report], [[StageRun("simulate", "ok", 1.0)]])
    assert "## NMEA and CSV paths" not in page

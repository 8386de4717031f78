"""``watchkeeper simulate`` and ``watchkeeper evaluate``: scenarios with ground truth, scored."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from watchkeeper.cli._app import WORKSPACE_HELP, app
from watchkeeper.simulate.evaluate import evaluate, load_truth
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import SCENARIOS, get_scenario
from watchkeeper.store.workspace import Workspace


@app.command("simulate")
def simulate_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder (created).")],
    scenario: Annotated[str, typer.Option(help=f"Scenario: {', '.join(SCENARIOS)}.")] = (
        "east-china-sea"
    ),
    days: Annotated[float, typer.Option(help="Length in days.")] = 3.0,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 0,
    scale: Annotated[float, typer.Option(help="Multiply the background fleet (benchmarks).")] = 1.0,
    confounders: Annotated[
        bool, typer.Option(help="Innocent look-alikes (ferries, yachts, harbour craft...).")
    ] = True,
) -> None:
    """Generate AIS traffic with planted sanctions-evasion cases and its ground truth.

    Writes traffic.nmea, traffic.csv (MarineCadastre), sanctions.ftm.json and truth.json.

    Example: watchkeeper simulate --scenario east-china-sea --days 3 --seed 7 -o sim/
    """
    config = get_scenario(scenario, seed=seed, days=days, scale=scale)
    if not confounders:
        config = replace(config, confounders=replace(config.confounders, enabled=False))
    result = simulate(config, out)
    Console(stderr=True).print(
        f"{result.n_vessels} vessels, {result.n_positions:,} positions, "
        f"{result.n_identities:,} static reports, {result.n_lines:,} NMEA lines, "
        f"{result.n_events:,} truth events -> {result.out_dir}",
        highlight=False,
    )


def _fmt(x: Any) -> str:
    return f"{x:.2f}" if isinstance(x, float) else str(x)


def render(report: dict[str, Any], console: Console) -> None:
    """The evaluation report as terminal tables."""
    t = Table(title=f"events (scenario {report['scenario']}, seed {report['seed']})")
    # recall: over observable truth events (the acceptance figure); recall (all): over every
    # planted event, of which "unobservable" left nothing in the received data to see.
    cols = {
        "truth": "observable",
        "unobservable": "unobservable",
        "detected": "detected",
        "precision": "precision",
        "recall": "recall",
        "recall_planted": "recall (all)",
        "f1": "f1",
    }
    t.add_column("type")
    for label in cols.values():
        t.add_column(label, justify="right")
    for typ, m in report["events"].items():
        t.add_row(typ, *(_fmt(m.get(k, "")) for k in cols))
    console.print(t)
    s = Table(title="cases and vessels")
    s.add_column("measure")
    s.add_column("value", justify="right")
    s.add_column("of", justify="right")
    g, d = report["deliberate_gaps"], report["dark_sts_partner_named"]
    s.add_row("deliberate gaps recall", _fmt(g["recall"]), str(g["truth"]))
    f = report["deliberate_flags"]
    s.add_row("deliberate flag precision", _fmt(f["precision"]), str(f["flagged"]))
    s.add_row("dark STS with partner named", _fmt(d["recall"]), str(d["truth"]))
    k = report["dprk_port_visits"]
    s.add_row("North Korean port visits recall", _fmt(k["recall"]), str(k["truth"]))
    sa = report["sanctions"]
    s.add_row("sanctions precision", _fmt(sa["precision"]), str(sa["flagged"]))
    s.add_row("sanctions recall", _fmt(sa["recall"]), str(sa["truth"]))
    s.add_row("look-alike decoys flagged", str(sa["decoys_flagged"]), "")
    s.add_row("risk precision@k", _fmt(report["risk"]["precision_at_k"]), str(report["risk"]["k"]))
    for typ, m in (report.get("decoys") or {}).items():
        if m["decoys"]:
            s.add_row(f"decoys flagged as {typ}", str(m["flagged"]), str(m["decoys"]))
    console.print(s)


@app.command("evaluate")
def evaluate_cmd(
    truth: Annotated[Path, typer.Option(help="truth.json written by `watchkeeper simulate`.")],
    workspace: Annotated[Path, typer.Option("-w", "--workspace", help=WORKSPACE_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Precision and recall of the workspace's events and vessels against the truth.

    Example: watchkeeper evaluate --truth sim/truth.json -w ws/ --json
    """
    ws = Workspace(workspace, read_only=True)
    report = evaluate(load_truth(truth), ws.read_table("events"), ws.read_table("vessels"))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        render(report, Console())

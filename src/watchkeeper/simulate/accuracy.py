"""``make accuracy``: simulate -> ingest -> detect -> screen -> evaluate over several seeds, and
write ``docs/accuracy.md``. Stages run as CLI subprocesses, exactly as a user runs them; a stage
that is missing or fails scores 0 for what depends on it, and the page says so.

The scenario's ``traffic.nmea`` goes through every stage; its ``traffic.csv`` (the same
positions as MarineCadastre CSV) through ingest and detect into a second workspace, scored
beside it, so a format that loses evidence shows as a lower score (docs/formats.md).

Usage: ``python -m watchkeeper.simulate.accuracy [--seeds 1 2 3] [--days 3] [--out FILE]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from watchkeeper.schema import EVENT_TYPES
from watchkeeper.simulate.evaluate import DECOY_TYPES, evaluate, load_truth
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import get_scenario
from watchkeeper.store.workspace import Workspace

__all__ = ["StageRun", "main", "render_markdown", "run_seed"]


@dataclass(frozen=True)
class StageRun:
    """One pipeline stage of one seed: status ('ok', 'not built', 'failed') and time."""

    name: str
    status: str
    seconds: float
    detail: str = ""


def _cli(args: list[str]) -> StageRun:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "watchkeeper", *args], capture_output=True, text=True, check=False
    )
    dt = time.perf_counter() - t
    err = (proc.stderr or proc.stdout).strip().splitlines()
    if proc.returncode == 0:
        return StageRun(args[0], "ok", dt)
    if proc.returncode == 2 and any("No such command" in line for line in err):
        return StageRun(args[0], "not built", dt)
    return StageRun(args[0], "failed", dt, err[-1][:200] if err else f"exit {proc.returncode}")


def run_seed(
    seed: int, days: float, work: Path, *, confounders: bool = True, csv: bool = True
) -> tuple[dict[str, Any], list[StageRun]]:
    """Run the whole pipeline on one seed; returns the evaluation report and the stage runs.

    With ``csv`` the report's ``csv_events`` holds the event scores of the CSV path."""
    sim, ws = work / f"sim-{seed}", work / f"ws-{seed}"
    t = time.perf_counter()
    config = get_scenario("east-china-sea", seed=seed, days=days)
    if not confounders:
        config = replace(config, confounders=replace(config.confounders, enabled=False))
    result = simulate(config, sim)
    stages = [
        StageRun(
            "simulate",
            "ok",
            time.perf_counter() - t,
            f"{result.n_positions:,} positions, {result.n_lines:,} lines",
        )
    ]
    stages.append(_cli(["ingest", str(sim / "traffic.nmea"), "-w", str(ws)]))
    stages.append(_cli(["detect", "-w", str(ws), "--ports", str(sim / "ports.csv")]))
    stages.append(_cli(["lists", "add", str(sim / "sanctions.ftm.json"), "-w", str(ws)]))
    stages.append(_cli(["screen", "-w", str(ws), "--show", "0"]))
    stages.append(_cli(["vessels", "-w", str(ws), "--top", "0"]))
    truth = load_truth(sim / "truth.json")
    workspace = Workspace(ws)
    report = evaluate(truth, workspace.read_table("events"), workspace.read_table("vessels"))
    if csv:
        ws_csv = work / f"ws-{seed}-csv"
        for args in (
            ["ingest", str(sim / "traffic.csv"), "-w", str(ws_csv)],
            ["detect", "-w", str(ws_csv), "--ports", str(sim / "ports.csv")],
        ):
            run = _cli(args)
            stages.append(replace(run, name=f"{run.name} (csv)"))
        report["csv_events"] = evaluate(truth, Workspace(ws_csv).read_table("events"), None)[
            "events"
        ]
    return report, stages


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _event_rows(reports: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| event type | observable | unobservable (AIS off) | detected | precision | recall"
        " | recall, all planted | decoys flagged | per seed P / R / R all |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for typ in EVENT_TYPES:
        ms = [r["events"][typ] for r in reports]
        dec: list[dict[str, Any]] = [r.get("decoys", {}).get(typ) or {} for r in reports]
        flagged = "-"
        if all(dec):
            n_f, n_d = _mean([d["flagged"] for d in dec]), _mean([d["decoys"] for d in dec])
            flagged = f"{n_f:.1f} of {n_d:.1f}"
        per_seed = ", ".join(
            f"{m['precision']:.2f} / {m['recall']:.2f} / {m.get('recall_planted', 0.0):.2f}"
            for m in ms
        )
        hidden = _mean([m.get("unobservable", 0) for m in ms])
        off = _mean([m.get("ais_off", 0) for m in ms])
        rows.append(
            f"| {typ} | {_mean([m['truth'] for m in ms]):.1f} | {hidden:.1f} ({off:.1f}) | "
            f"{_mean([m['detected'] for m in ms]):.1f} | {_mean([m['precision'] for m in ms]):.2f}"
            f" | **{_mean([m['recall'] for m in ms]):.2f}**"
            f" | {_mean([m.get('recall_planted', 0.0) for m in ms]):.2f} | {flagged} | {per_seed} |"
        )
    return rows


def _format_rows(reports: list[dict[str, Any]]) -> list[str]:
    """Detected, precision and recall per type of the NMEA and the CSV path, side by side."""
    rows = [
        "| event type | observable | NMEA: detected | precision | recall"
        " | CSV: detected | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for typ in EVENT_TYPES:
        cells = [f"{_mean([r['events'][typ]['truth'] for r in reports]):.1f}"]
        for key in ("events", "csv_events"):
            ms = [r[key][typ] for r in reports]
            cells += [
                f"{_mean([m['detected'] for m in ms]):.1f}",
                f"{_mean([m['precision'] for m in ms]):.2f}",
                f"{_mean([m['recall'] for m in ms]):.2f}",
            ]
        rows.append(f"| {typ} | " + " | ".join(cells) + " |")
    return rows


def _decoy_rows(reports: list[dict[str, Any]]) -> list[str]:
    """False accusations on confounders, per forbidden type and per kind of confounder."""
    rows = [
        "| must not be reported as | decoys | flagged | share flagged | false accusations"
        " | per seed flagged / decoys | flagged by kind (all seeds) |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for typ in DECOY_TYPES:
        ms: list[dict[str, Any]] = [r.get("decoys", {}).get(typ) or {} for r in reports]
        if not all(ms):
            continue
        n, f = sum(m["decoys"] for m in ms), sum(m["flagged"] for m in ms)
        kinds: dict[str, list[int]] = {}
        for m in ms:
            for k, v in m["by_kind"].items():
                acc = kinds.setdefault(k, [0, 0])
                acc[0], acc[1] = acc[0] + v["flagged"], acc[1] + v["decoys"]
        per_kind = ", ".join(f"{k} {a}/{b}" for k, (a, b) in kinds.items())
        per_seed = ", ".join(f"{m['flagged']} / {m['decoys']}" for m in ms)
        rows.append(
            f"| {typ} | {n / len(ms):.1f} | {f / len(ms):.1f} | {f / n if n else 0.0:.2f}"
            f" | {_mean([m['accusations'] for m in ms]):.1f} | {per_seed} | {per_kind} |"
        )
    conf: list[dict[str, Any]] = [r.get("confounders") or {} for r in reports]
    if all(conf):
        rows += [
            "",
            "| confounder vessels | mean | per seed |",
            "|---|---:|---|",
            "| US documentation numbers taken for invalid IMOs | "
            f"{_mean([c['us_invalid_imo'] for c in conf]):.1f} of "
            f"{_mean([c['us_documented'] for c in conf]):.1f} | "
            + ", ".join(f"{c['us_invalid_imo']}/{c['us_documented']}" for c in conf)
            + " |",
            "| confounder vessels in the top k by risk | "
            f"{_mean([c['in_top_k'] for c in conf]):.1f} | "
            + ", ".join(str(c["in_top_k"]) for c in conf)
            + " |",
        ]
    return rows


def _case_rows(reports: list[dict[str, Any]]) -> list[str]:
    def line(label: str, values: list[float], of: list[int]) -> str:
        seeds = ", ".join(f"{v:.2f}" for v in values)
        return f"| {label} | {_mean(values):.2f} | {seeds} | {_mean([float(x) for x in of]):.1f} |"

    return [
        "| measure | mean | per seed | of (mean) |",
        "|---|---:|---|---:|",
        *(
            line(
                f"{label}: recall{suffix}",
                [r[key][measure] for r in reports],
                [r[key][of] for r in reports],
            )
            for key, label in (
                ("deliberate_gaps", "deliberate gaps"),
                ("dark_sts_partner_named", "dark STS with the partner named"),
                ("dprk_port_visits", "North Korean port visits"),
            )
            for suffix, measure, of in (
                ("", "recall", "truth"),
                (", all planted", "recall_planted", "planted"),
            )
        ),
        line(
            "deliberate gaps: precision of the flag",
            [r["deliberate_flags"]["precision"] for r in reports],
            [r["deliberate_flags"]["flagged"] for r in reports],
        ),
        line(
            "sanctions (vessel level): precision",
            [r["sanctions"]["precision"] for r in reports],
            [r["sanctions"]["flagged"] for r in reports],
        ),
        line(
            "sanctions (vessel level): recall",
            [r["sanctions"]["recall"] for r in reports],
            [r["sanctions"]["truth"] for r in reports],
        ),
        line(
            "look-alike decoys flagged (count)",
            [float(r["sanctions"]["decoys_flagged"]) for r in reports],
            [3 for _ in reports],
        ),
        line(
            "risk ranking: precision@k",
            [r["risk"]["precision_at_k"] for r in reports],
            [r["risk"]["k"] for r in reports],
        ),
    ]


def render_markdown(
    seeds: list[int], days: float, reports: list[dict[str, Any]], stages: list[list[StageRun]]
) -> str:
    """The ``docs/accuracy.md`` page."""
    formats = (
        [
            "## NMEA and CSV paths (precision and recall per type, mean over seeds)",
            "",
            "The same scenario's `traffic.csv` (the same received positions, each row with the",
            "static fields known at its time) ingested and detected in a workspace of its own.",
            "Identity and draught changes take their times from the position rows around the",
            "static reports in a CSV ([formats.md](formats.md#remaining-differences-and-why)).",
            "",
            *_format_rows(reports),
            "",
        ]
        if all("csv_events" in r for r in reports)
        else []
    )
    stage_rows = [
        "| seed | " + " | ".join(s.name for s in stages[0]) + " |",
        "|---|" + "---|" * len(stages[0]),
    ]
    for seed, runs in zip(seeds, stages, strict=True):
        cells = [
            f"{s.status} ({s.seconds:.0f} s)" + (f": {s.detail}" if s.detail else "") for s in runs
        ]
        stage_rows.append(f"| {seed} | " + " | ".join(cells) + " |")
    return "\n".join(
        [
            "# Accuracy on simulated scenarios",
            "",
            "Generated by `make accuracy` (`python -m watchkeeper.simulate.accuracy`): for each",
            f"seed `watchkeeper simulate --scenario east-china-sea --days {days:g} --seed S`, then",
            "`ingest` (traffic.nmea), `detect --ports ports.csv`, `lists add` (sanctions list),",
            "`screen`, `vessels` (risk), and `evaluate` against `truth.json`; `traffic.csv` is",
            "ingested and detected in a second workspace and scored beside it. Scores:",
            "[evaluation.md](evaluation.md); the scenario and the sources of its numbers:",
            "[simulator.md](simulator.md).",
            "",
            "A stage that is not built yet or fails scores 0 for what depends on it: the zeros",
            "below are honest, not bugs in the scoring.",
            "",
            "**Recall** (in bold, the acceptance figure) counts the *observable* truth events:",
            "those whose received reports hold the minimum a detector of that type needs (for",
            "loitering, two positions 30 min apart during the event; the rule of every type in",
            "[evaluation.md](evaluation.md#observable-events)). A transmitting vessel is not",
            "always received: class B is heard only by satellite and decoded one pass in five,",
            "and a regional satellite outage silences everyone in it. **Recall, all planted**",
            "counts every truth event; *unobservable* is how many were not (of which, in",
            "brackets, with the transponder off for most of the event). Precision counts a",
            "detection that matches an unobservable event as right. Counts are means over seeds.",
            "",
            f"Seeds: {', '.join(map(str, seeds))}.",
            "",
            "## Pipeline stages",
            "",
            *stage_rows,
            "",
            "## Events (precision and recall per type, mean over seeds)",
            "",
            *_event_rows(reports),
            "",
            *formats,
            "## Cases and vessels",
            "",
            *_case_rows(reports),
            "",
            "## Confounders: false accusations",
            "",
            "Innocent situations the scenario plants to be *not* reported (ferries and yachts",
            "berthed together in places no list knows, harbour craft and bunker barges alongside",
            "ships in port, ships sailing out of coverage and the tanker drifting where one fell",
            "silent, US documentation numbers in the IMO field;",
            "[simulator.md](simulator.md#confounders-confounderspy)). A decoy is flagged when a",
            "detection of a type it must not produce",
            "names its vessels in its time and does not mark itself `in_port` or `service`",
            "([evaluation.md](evaluation.md#decoys)).",
            "",
            *_decoy_rows(reports),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the accuracy pipeline and write the page."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--days", type=float, default=3.0)
    ap.add_argument("--out", type=Path, default=Path("docs/accuracy.md"))
    ap.add_argument("--work", type=Path, default=None, help="keep intermediate files here")
    ap.add_argument(
        "--no-confounders", action="store_true", help="simulate without the confounders"
    )
    ap.add_argument(
        "--no-csv", action="store_true", help="score the NMEA path only (skip traffic.csv)"
    )
    args = ap.parse_args(argv)
    reports, stages = [], []
    with tempfile.TemporaryDirectory(prefix="wk-accuracy-") as tmp:
        work = args.work or Path(tmp)
        for seed in args.seeds:
            report, runs = run_seed(
                seed, args.days, work, confounders=not args.no_confounders, csv=not args.no_csv
            )
            reports.append(report)
            stages.append(runs)
            status = ", ".join(f"{s.name} {s.status} {s.seconds:.0f}s" for s in runs)
            sys.stderr.write(f"seed {seed}: {status}\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_markdown(args.seeds, args.days, reports, stages), encoding="utf-8")
    sys.stderr.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

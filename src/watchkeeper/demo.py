"""``make demo``: the main job end to end on built-in data.

Simulates the default East China Sea scenario (the built-in data: nothing is downloaded),
then runs every pipeline stage that this version has through the same CLI a user would type,
and prints where the outputs are. Usage: ``python -m watchkeeper.demo [OUTPUT_DIR]``.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import typer.main
from rich.console import Console

from watchkeeper.cli import app

console = Console()


def _commands() -> set[str]:
    group = typer.main.get_command(app)
    names: set[str] = set()
    for name, cmd in getattr(group, "commands", {}).items():
        names.add(name)
        names.update(f"{name} {sub}" for sub in getattr(cmd, "commands", {}))
    return names


def _run(args: list[str]) -> None:
    console.rule(f"[bold]watchkeeper {' '.join(args)}")
    start = time.perf_counter()
    app(args, standalone_mode=False)
    console.print(f"[dim]({time.perf_counter() - start:.1f} s)[/dim]")


def main(out: Path) -> None:
    """Run the demo into folder ``out``."""
    have = _commands()
    data, ws = out / "data", out / "workspace"
    for old in (data, ws):  # a rerun starts from scratch: the demo owns these folders
        shutil.rmtree(old, ignore_errors=True)
    if "simulate" not in have:
        console.print("[red]this version has no simulator: nothing to demo[/red]")
        raise SystemExit(1)
    _run(
        ["simulate", "--scenario", "east-china-sea", "--days", "3", "--seed", "1", "-o", str(data)]
    )
    nmea = sorted(data.glob("*.nmea*"))
    _run(["ingest", *map(str, nmea), "-w", str(ws)])
    _run(["info", "-w", str(ws)])
    if "detect" in have:
        _run(["detect", "-w", str(ws)])
    if "lists add" in have:
        _run(["lists", "add", *map(str, sorted(data.glob("*.ftm.json*"))), "-w", str(ws)])
    if "screen" in have:
        _run(["screen", "-w", str(ws)])
    if "vessels" in have:
        _run(["vessels", "-w", str(ws), "--top", "10"])
    report = out / "report.html"
    if "report" in have:
        _run(["report", "-w", str(ws), "--top", "1", "-o", str(report)])
    console.rule("[bold]outputs")
    console.print(f"simulated data:  {data}")
    console.print(f"workspace:       {ws}")
    if report.exists():
        console.print(f"report:          {report}")
    if "serve" in have:
        _service_howto(ws)


def _service_howto(ws: Path) -> None:
    """How to share the demo's findings through the coalition service (docs/service.md)."""
    console.rule("[bold]share it: the coalition service")
    for line in (
        f'watchkeeper partners add DEMO --name "Demo partner" -w {ws}   # prints its API key',
        f"watchkeeper publish -w {ws} --top 5 --tlp amber --rel-to DEMO",
        f"watchkeeper serve -w {ws} --port 8000",
        "then open http://127.0.0.1:8000/#key=<key> (the map); programs: /docs (the API),"
        " /collections (OGC API Features) with the header Authorization: Bearer <key>",
    ):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


if __name__ == "__main__":
    # the risk table's reasons need room; rich reads COLUMNS when output is not a terminal
    os.environ.setdefault("COLUMNS", "150")
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo-output"))

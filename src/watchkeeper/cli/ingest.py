"""``watchkeeper ingest``, ``info`` and ``export positions``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from watchkeeper.cli._app import WORKSPACE_HELP, app, export_app
from watchkeeper.errors import ConfigError
from watchkeeper.ingest.options import parse_time_option
from watchkeeper.ingest.pipeline import FileSummary, ingest_files
from watchkeeper.store.coverage import Coverage, workspace_coverage
from watchkeeper.store.summary import summarize
from watchkeeper.store.workspace import Workspace

console = Console()

WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help=WORKSPACE_HELP)]


def parse_columns(pairs: list[str] | None) -> dict[str, str] | None:
    """``--columns mmsi=ship_id,ts=time`` (repeatable) into a mapping canonical -> header."""
    if not pairs:
        return None
    out: dict[str, str] = {}
    for item in ",".join(pairs).split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"--columns expects canonical=header pairs, got {item!r}")
        out[key.strip()] = value.strip()
    return out


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="NMEA, CSV or Parquet files or folders.")],
    workspace: WorkspaceOpt,
    time: Annotated[
        str | None,
        typer.Option(
            help="Time for records without one: an ISO 8601 time, or 'file-order' "
            "(each takes the time of the nearest earlier timed record)."
        ),
    ] = None,
    columns: Annotated[
        list[str] | None,
        typer.Option(help="CSV column mapping, e.g. mmsi=ship_id,ts=time,lat=y,lon=x."),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="nmea, csv or parquet (default: detect).")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first bad record.")] = False,
) -> None:
    """Ingest AIS files into a workspace; bad records are quarantined and counted.

    Example: watchkeeper ingest day1.nmea.gz noaa.csv -w ws
    """
    if fmt not in (None, "nmea", "csv", "parquet"):
        raise ConfigError(f"--format must be nmea, csv or parquet, not {fmt!r}")
    opts = {"time": parse_time_option(time), "columns": parse_columns(columns), "strict": strict}
    if console.is_terminal:
        with _progress() as bar:
            task = bar.add_task("ingest", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summaries = ingest_files(paths, workspace, fmt=fmt, progress=tick, **opts)  # type: ignore[arg-type]
    else:
        summaries = ingest_files(paths, workspace, fmt=fmt, **opts)  # type: ignore[arg-type]
    _print_summaries(summaries)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _print_summaries(summaries: list[FileSummary]) -> None:
    table = Table("file", "format", "positions", "identities", "rejects", "skipped")
    rejects: Counter[str] = Counter()
    for s in summaries:
        if s.not_ingested:
            console.print(f"[yellow]passed over[/yellow] {s.not_ingested}", highlight=False)
            continue
        note = " (already ingested)" if s.already_ingested else ""
        table.add_row(
            Path(s.file).name + note,
            s.format,
            f"{s.positions:,}",
            f"{s.identities:,}",
            f"{s.n_rejects:,}",
            f"{sum(s.skipped.values()):,}",
        )
        rejects.update(s.rejects)
    console.print(table)
    if rejects:
        console.print(
            "rejected by reason: "
            + ", ".join(f"{reason} {n:,}" for reason, n in rejects.most_common())
        )
    if rejects.get("no_timestamp"):
        console.print(
            "[yellow]some sentences carry no time: pass --time <ISO time> or "
            "--time file-order to keep them[/yellow]"
        )


@app.command()
def info(
    workspace: WorkspaceOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Summarise a workspace: counts, time span, vessels, extent, rejects by reason, and its
    coverage (positions per hour and per region) with a warning when the data is a short or
    lopsided sample.

    Example: watchkeeper info -w ws --json
    """
    ws = Workspace(workspace, read_only=True)
    summary, coverage = summarize(ws), workspace_coverage(ws)
    if as_json:
        console.print_json(
            json.dumps(summary.as_dict() | {"coverage": coverage.as_dict()}, default=str)
        )
        return
    table = Table(show_header=False, title=f"workspace {summary.path}")
    table.add_row("files ingested", f"{summary.files:,}")
    table.add_row("positions", f"{summary.positions:,}")
    table.add_row("identities", f"{summary.identities:,}")
    table.add_row("vessels (MMSI)", f"{summary.vessels:,}")
    table.add_row("first", str(summary.first))
    table.add_row("last", str(summary.last))
    if summary.bbox:
        table.add_row("bbox (lon, lat)", ", ".join(f"{v:.4f}" for v in summary.bbox))
    for reason, n in summary.rejects.items():
        table.add_row(f"rejected: {reason}", f"{n:,}")
    for kind, n in summary.skipped.items():
        table.add_row(f"skipped: {kind}", f"{n:,}")
    _coverage_rows(table, coverage)
    console.print(table)
    for warning in coverage.warnings:
        console.print(f"[yellow]WARNING[/yellow] {warning}", highlight=False)


def _coverage_rows(table: Table, c: Coverage, top: int = 5) -> None:
    """Coverage in the info table: the core window, the busiest hours and regions."""
    if not c.positions or c.core_start is None:
        return
    table.add_row(
        "core window",
        f"{100 * c.core_share:.1f} % in {c.core_h:.2f} h from {c.core_start:%Y-%m-%d %H:%M} UTC",
    )
    table.add_row("hours with data", f"{c.hours_with_data} of {c.hours_spanned} spanned")
    busiest = sorted((kv for kv in c.per_hour.items() if kv[1]), key=lambda kv: -kv[1])[:top]
    for hour, n in busiest:
        table.add_row(f"positions in hour {hour[:13]}h", f"{n:,}")
    for r in c.regions[:top]:
        table.add_row(f"region {r.label}", f"{r.positions:,} positions, {r.vessels:,} vessels")
    if c.n_regions > top:
        table.add_row("regions", f"{c.n_regions} cells of the data (info --json lists them)")


@export_app.command("positions")
def export_positions(
    workspace: WorkspaceOpt,
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet or geojson.")] = "csv",
    output: Annotated[str, typer.Option("-o", "--output", help="File, or - for stdout.")] = "-",
) -> None:
    """Export positions: CSV with MarineCadastre's 17-column header, Parquet or GeoJSON."""
    from watchkeeper.publish._sink import atomic_file
    from watchkeeper.publish.positions import export_positions as run

    ws = Workspace(workspace, read_only=True)
    if output == "-":
        n = run(ws, sys.stdout.buffer, fmt=fmt)
    else:
        with atomic_file(output) as tmp, tmp.open("wb") as f:
            n = run(ws, f, fmt=fmt)
        Console(stderr=True).print(f"wrote {n:,} positions to {output}")

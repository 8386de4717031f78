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
from watchkeeper.ingest.layouts import PRESETS, get_layout, parse_columns_option
from watchkeeper.ingest.options import parse_time_option
from watchkeeper.ingest.pipeline import FileSummary, ingest_files
from watchkeeper.store.coverage import Coverage, workspace_coverage
from watchkeeper.store.summary import summarize
from watchkeeper.store.workspace import Workspace

console = Console()

WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help=WORKSPACE_HELP)]


def parse_columns(pairs: list[str] | None) -> dict[str, str] | None:
    """``--columns mmsi=ship_id,sog_kn=SPEED/10,ship_type=-`` (repeatable) as a mapping."""
    return parse_columns_option(pairs)


def _list_and_exit(on: bool) -> None:
    """``ingest --list-layouts``: the same list as ``watchkeeper layouts``."""
    if on:
        layouts_command()
        raise typer.Exit(0)


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
        typer.Option(
            help="CSV/JSON column mapping field=HEADER; HEADER/10 scales, A+B adds, - ignores, "
            "e.g. mmsi=ship_id,ts=time,sog_kn=SPEED_KNOTSx10/10,ship_type=-."
        ),
    ] = None,
    layout: Annotated[
        str | None,
        typer.Option(help="Provider layout preset (see `watchkeeper layouts`; default: detect)."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="nmea, csv, json or parquet (default: detect)."),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first bad record.")] = False,
    replace: Annotated[
        bool,
        typer.Option(help="Re-ingest files already ingested, replacing their rows and rejects."),
    ] = False,
    list_layouts: Annotated[
        bool,
        typer.Option(
            "--list-layouts",
            help="List the provider layouts and exit.",
            is_eager=True,
            callback=_list_and_exit,
        ),
    ] = False,
) -> None:
    """Ingest AIS files into a workspace; bad records are quarantined and counted.

    Exits 1 when every record of a file was rejected (its top reasons and an example line
    go to stderr).

    Example: watchkeeper ingest day1.nmea.gz noaa.csv -w ws
    """
    if fmt not in (None, "nmea", "csv", "json", "parquet"):
        raise ConfigError(f"--format must be nmea, csv, json or parquet, not {fmt!r}")
    if layout is not None:
        get_layout(layout)  # an unknown name fails before any file is read
    opts = {
        "time": parse_time_option(time),
        "columns": parse_columns(columns),
        "layout": layout,
        "strict": strict,
        "replace": replace,
    }
    if console.is_terminal:
        with _progress() as bar:
            task = bar.add_task("ingest", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summaries = ingest_files(paths, workspace, fmt=fmt, progress=tick, **opts)  # type: ignore[arg-type]
    else:
        summaries = ingest_files(paths, workspace, fmt=fmt, **opts)  # type: ignore[arg-type]
    _print_summaries(summaries)
    failed = [s for s in summaries if s.all_rejected]
    for s in failed:
        _explain_rejected(s)
    if failed:
        raise typer.Exit(1)


def _explain_rejected(s: FileSummary, top: int = 3) -> None:
    """Why nothing of a file was kept: its top reject reasons and its first bad record."""
    err = Console(stderr=True)
    reasons = ", ".join(f"{r} {n:,}" for r, n in s.rejects.most_common(top))
    err.print(
        f"[red]error[/red] {s.file}: all {s.n_rejects:,} records rejected ({reasons})",
        highlight=False,
        soft_wrap=True,
    )
    if s.example:
        err.print(f"  first: {s.example}", highlight=False, markup=False, soft_wrap=True)
    err.print(
        "  check the layout (`watchkeeper layouts`, --layout) or map columns with --columns; "
        "then rerun with --replace",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@app.command("layouts")
def layouts_command() -> None:
    """List the provider layouts recognised in CSV and JSON headers (for --layout).

    Example: watchkeeper layouts
    """
    for p in PRESETS.values():
        detect = ", ".join(p.detect) + (f" + one of {', '.join(p.any_of)}" if p.any_of else "")
        cols = ", ".join(f"{k}={v[0]}" for k, v in p.fields.items())
        console.print(f"[bold]{p.name}[/bold]  {p.title}", highlight=False, soft_wrap=True)
        for label, text in (("detected by", detect), ("columns", cols), ("source", p.source)):
            console.print(f"  {label}: {text}", highlight=False, markup=False, soft_wrap=True)
        if p.notes:
            console.print(f"  notes: {p.notes}", highlight=False, markup=False, soft_wrap=True)


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
    table = Table("file", "format", "positions", "identities", "rejects", "duplicates", "skipped")
    rejects: Counter[str] = Counter()
    for s in summaries:
        if s.not_ingested:
            console.print(f"[yellow]passed over[/yellow] {s.not_ingested}", highlight=False)
            continue
        note = " (already ingested)" if s.already_ingested else ""
        note = " (replaced)" if s.replaced else note
        table.add_row(
            Path(s.file).name + note,
            s.format,
            f"{s.positions:,}",
            f"{s.identities:,}",
            f"{s.n_rejects:,}",
            f"{s.duplicates:,}",  # position reports heard twice, stored once
            f"{sum(s.skipped.values()) - s.duplicates:,}",
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
    """Export positions: CSV with MarineCadastre's 17-column header, Parquet or GeoJSON.

    CSV and Parquet rows carry the vessel's static fields known at their time, so ingesting
    the file again keeps names, ship types and draughts."""
    from watchkeeper.publish._sink import atomic_file
    from watchkeeper.publish.positions import export_positions as run

    ws = Workspace(workspace, read_only=True)
    if output == "-":
        n = run(ws, sys.stdout.buffer, fmt=fmt)
    else:
        with atomic_file(output) as tmp, tmp.open("wb") as f:
            n = run(ws, f, fmt=fmt)
        Console(stderr=True).print(f"wrote {n:,} positions to {output}")

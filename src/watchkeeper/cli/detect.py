"""Commands ``detect``, ``events`` and ``export events``: thin adapters over the detectors."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli._app import WORKSPACE_HELP, app, export_app
from watchkeeper.detect.params import DetectParams, load_params, to_toml
from watchkeeper.detect.run import detect_workspace
from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.publish.describe import describe
from watchkeeper.publish.exports import export_events as export_events_to
from watchkeeper.publish.select import EventFilter, parse_bbox, select_events
from watchkeeper.store import Workspace
from watchkeeper.tracks.build import parse_time

__all__ = ["detect", "events", "export_events", "params"]

WorkspaceOpt = Annotated[Path, typer.Option("-w", "--workspace", help=WORKSPACE_HELP)]


class Engine(StrEnum):
    """Where the windows of a detection run are executed."""

    LOCAL = "local"  # one after the other in this process
    DASK = "dask"  # on a Dask cluster (a local one unless --scheduler is given)


@app.command()
def detect(
    workspace: WorkspaceOpt,
    ports: Annotated[
        list[Path] | None, typer.Option("--ports", help="WPI-style port CSV (repeatable).")
    ] = None,
    zones: Annotated[
        list[Path] | None,
        typer.Option("--zones", help="GeoJSON polygons to watch (repeatable), besides built-ins."),
    ] = None,
    params_file: Annotated[
        Path | None,
        typer.Option(
            "--params", help="TOML file of parameters to override (see `watchkeeper params`)."
        ),
    ] = None,
    engine: Annotated[
        Engine, typer.Option("--engine", help="local, or dask (windows run by Dask workers).")
    ] = Engine.LOCAL,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address (tcp://host:8786); default: a local cluster.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="Workers of the local Dask cluster (default: cores)."
        ),
    ] = None,
    unit_positions: Annotated[
        int | None,
        typer.Option(
            "--unit-positions",
            min=1,
            help="Positions per unit of work: a bigger window is split in MMSI groups and "
            "spatial tiles (memory bound; default 2,000,000, docs/scale.md).",
        ),
    ] = None,
) -> None:
    """Run every detector over the workspace and store the ``events`` table.

    Example: ``watchkeeper detect -w ws --ports wpi.csv --zones my_areas.geojson``;
    on a cluster: ``watchkeeper detect -w /shared/ws --engine dask --scheduler tcp://host:8786``
    """
    if engine is Engine.LOCAL and (scheduler or workers):
        _usage_error("--scheduler and --workers need --engine dask")
    if scheduler and workers:
        _usage_error("--workers sizes a local cluster; a --scheduler has its own workers")
    run_params = _run_params(params_file)
    run_params = replace(
        run_params,
        port_files=run_params.port_files + tuple(str(p) for p in ports or ()),
        zone_files=run_params.zone_files + tuple(str(z) for z in zones or ()),
    )
    if unit_positions is not None:
        run_params = replace(run_params, unit_positions=unit_positions)
    ws = Workspace(workspace, create=False)
    if engine is Engine.DASK:
        from watchkeeper.detect.dask_engine import dask_client, detect_workspace_dask

        with dask_client(scheduler, workers=workers) as client:
            ev = detect_workspace_dask(ws, client, params=run_params)
    else:
        ev = detect_workspace(ws, params=run_params)
    counts: dict[str, int] = {}
    for kind in ev.column("type").to_pylist():
        counts[kind] = counts.get(kind, 0) + 1
    console = Console(stderr=True)
    console.print(
        f"{ev.num_rows} events: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )


def _usage_error(message: str) -> None:
    """One line on stderr and exit 2 (the CLI's usage-error contract)."""
    Console(stderr=True).print(f"[red]usage error:[/red] {escape(message)}")
    raise SystemExit(2)


def _run_params(path: Path | None) -> DetectParams:
    """The defaults, or those of a params file (a bad file is a usage error: exit 2)."""
    if path is None:
        return DetectParams()
    try:
        return load_params(path)
    except ConfigError as exc:
        Console(stderr=True).print(f"[red]usage error:[/red] --params: {escape(str(exc))}")
        raise SystemExit(2) from exc


@app.command()
def params(
    params_file: Annotated[
        Path | None, typer.Option("--params", help="Show the values of this TOML file instead.")
    ] = None,
) -> None:
    """Print every detection parameter with its default and its source, as a params file.

    Sections are the stages and the event types: ``[encounter]`` then ``max_distance_m =
    400`` sets the encounter distance. Example: ``watchkeeper params > my.toml``, edit, then
    ``watchkeeper detect -w ws --params my.toml``.
    """
    sys.stdout.write(to_toml(_run_params(params_file)))


def _events(ws: Workspace) -> pa.Table:
    table = ws.read_table("events")
    if table is None:
        raise NotFoundError(f"no events in {ws.path}: run `watchkeeper detect -w {ws.path}` first")
    return table


TypesOpt = Annotated[
    list[str] | None, typer.Option("--type", help="Only this event type (repeatable).")
]
MmsiOpt = Annotated[
    list[int] | None,
    typer.Option("--mmsi", help="Only events of this vessel, either side (repeatable)."),
]
MinRiskOpt = Annotated[
    float | None,
    typer.Option("--min-risk", help="Only events whose own risk is at least this (0-100)."),
]
SinceOpt = Annotated[
    str | None, typer.Option(help="Only events going on at or after this time (ISO 8601, UTC).")
]
UntilOpt = Annotated[str | None, typer.Option(help="Only events begun before this time.")]
BboxOpt = Annotated[
    str | None, typer.Option(help="Only events inside lon0,lat0,lon1,lat1 (degrees).")
]
SortOpt = Annotated[
    str, typer.Option(help="start (oldest first), risk or confidence (highest first).")
]


def _selection(
    types: list[str] | None,
    mmsis: list[int] | None,
    min_risk: float | None,
    since: str | None,
    until: str | None,
    bbox: str | None,
    sort: str,
) -> EventFilter:
    try:
        times = [None if t is None else parse_time(t) for t in (since, until)]
    except ValueError as exc:
        raise ConfigError(f"--since/--until take ISO 8601 times: {exc}") from None
    return EventFilter(
        types=tuple(types or ()),
        mmsis=tuple(mmsis or ()),
        min_risk=min_risk,
        since=times[0],
        until=times[1],
        bbox=None if bbox is None else parse_bbox(bbox),
        sort=sort,
    )


@app.command()
def events(
    workspace: WorkspaceOpt,
    kind: TypesOpt = None,
    mmsi: MmsiOpt = None,
    min_risk: MinRiskOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    bbox: BboxOpt = None,
    sort: SortOpt = "start",
    details: Annotated[bool, typer.Option(help="Show each event's details.")] = False,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
) -> None:
    """List stored events on the terminal, filtered and sorted for triage.

    Example: ``watchkeeper events -w ws --type dark_sts --type encounter --since 2024-03-05
    --bbox 120,25,130,40 --sort risk --details``
    """
    chosen = _selection(kind, mmsi, min_risk, since, until, bbox, sort)
    rows = select_events(_events(Workspace(workspace, read_only=True)), chosen).to_pylist()
    console = Console()
    if details:  # one block per event: a line of facts, then its details, wrapped
        width = max(40, console.width)
        for r in rows[:limit]:
            console.print(_summary(r), highlight=False, markup=False, soft_wrap=True)
            text = textwrap.fill(describe(r["type"], r["details"]), width, subsequent_indent="    ")
            console.print("    " + text, highlight=False, markup=False, style="dim", soft_wrap=True)
    else:  # fits 80 columns: confidence and details with --details
        out = Table(box=None, pad_edge=False, padding=(0, 0, 0, 1), header_style="bold")
        for name in ("type", "mmsi", "other", "start (UTC)", "end", "position", "risk"):
            out.add_column(name, no_wrap=True)
        for r in rows[:limit]:
            c = _cells(r)
            start, end = _when(r["start"], year=False), _when(r["end"], r["start"], year=False)
            out.add_row(c[0], c[1], c[2], start, end, c[5], c[7])
        console.print(out)
    shown = f" (first {limit}: --limit N for more)" if len(rows) > limit else ""
    Console(stderr=True).print(f"{len(rows)} events{shown}", highlight=False)


def _when(t: datetime | None, since: datetime | None = None, *, year: bool = True) -> str:
    """``YYYY-MM-DD HH:MM`` (UTC; ``MM-DD HH:MM`` without ``year``); only ``HH:MM`` on the
    day of ``since``."""
    if t is None:
        return "open"
    u = t.astimezone(UTC)
    if since is not None and u.date() == since.astimezone(UTC).date():
        return u.strftime("%H:%M")
    return u.strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")


def _where(lat: float | None, lon: float | None) -> str:
    if lat is None or lon is None:
        return ""
    return f"{abs(lat):.2f}{'N' if lat >= 0 else 'S'} {abs(lon):.2f}{'E' if lon >= 0 else 'W'}"


def _cells(r: dict[str, Any]) -> list[str]:
    return [
        r["type"],
        str(r["mmsi"]),
        "" if r["other_mmsi"] is None else str(r["other_mmsi"]),
        _when(r["start"]),
        _when(r["end"], r["start"]),
        _where(r["lat"], r["lon"]),
        f"{r['confidence']:.2f}",
        "" if r["risk"] is None else f"{r['risk']:.0f}",
    ]


def _summary(r: dict[str, Any]) -> str:
    kind, mmsi, other, start, end, where, conf, risk = _cells(r)
    pair = f"{mmsi} with {other}" if other else mmsi
    return f"{kind} {pair}  {start} to {end}  {where}  confidence {conf}  risk {risk or '-'}"


def _iso(t: object) -> str:
    if t is None:
        return ""
    from datetime import UTC, datetime

    assert isinstance(t, datetime)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@export_app.command("events")
def export_events(
    workspace: WorkspaceOpt,
    fmt: Annotated[
        str,
        typer.Option("--format", help="csv, geojson, parquet, kml, kmz, geoparquet, cot or ftm."),
    ] = "csv",
    output: Annotated[str, typer.Option("-o", "--output", help="File, or - for stdout.")] = "-",
    kind: TypesOpt = None,
    mmsi: MmsiOpt = None,
    min_risk: MinRiskOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    bbox: BboxOpt = None,
    sort: SortOpt = "start",
) -> None:
    """Export events (DESIGN §2 columns), filtered as ``watchkeeper events`` filters them.

    Example: ``watchkeeper export events -w ws --format cot --min-risk 50 -o alerts.cot``
    """
    chosen = _selection(kind, mmsi, min_risk, since, until, bbox, sort)
    n = export_events_to(Workspace(workspace, read_only=True), fmt, output, selection=chosen)
    where = "stdout" if output == "-" else output
    Console(stderr=True).print(f"wrote {n:,} events to {where}", highlight=False, soft_wrap=True)

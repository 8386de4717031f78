"""Commands ``detect``, ``events`` and ``export events``: thin adapters over the detectors."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli._app import WORKSPACE_HELP, app, export_app
from watchkeeper.detect.params import DetectParams, load_params, to_toml
from watchkeeper.detect.run import detect_workspace
from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.publish.exports import export_events as export_events_to
from watchkeeper.store import Workspace

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


@app.command()
def events(
    workspace: WorkspaceOpt,
    kind: Annotated[str | None, typer.Option("--type", help="Only this event type.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
) -> None:
    """List stored events on the terminal. Example: ``watchkeeper events -w ws --type encounter``"""
    table = _events(Workspace(workspace, read_only=True))
    rows = [r for r in table.to_pylist() if kind is None or r["type"] == kind]
    out = Table("type", "mmsi", "other", "start", "end", "lat", "lon", "confidence")
    for r in rows[:limit]:
        out.add_row(
            r["type"],
            str(r["mmsi"]),
            "" if r["other_mmsi"] is None else str(r["other_mmsi"]),
            _iso(r["start"]),
            _iso(r["end"]),
            f"{r['lat']:.4f}" if r["lat"] is not None else "",
            f"{r['lon']:.4f}" if r["lon"] is not None else "",
            f"{r['confidence']:.2f}",
        )
    Console().print(out)
    Console(stderr=True).print(f"{len(rows)} events")


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
) -> None:
    """Export events (DESIGN §2 columns).

    Example: ``watchkeeper export events -w ws --format geojson -o events.geojson``
    """
    export_events_to(Workspace(workspace, read_only=True), fmt, output)

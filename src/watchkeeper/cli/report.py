"""Commands ``report`` (HTML case report) and ``export tracks``: thin adapters over publish.

Examples::

    watchkeeper report -w ws --top 1 -o case.html
    watchkeeper report -w ws --vessel 477231375 -o case.html
    watchkeeper export tracks -w ws --format kmz --mmsi 477231375 -o tracks.kmz
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from watchkeeper.cli._app import WORKSPACE_HELP, app, export_app
from watchkeeper.errors import ConfigError
from watchkeeper.publish.exports import TRACK_FORMATS, export_tracks
from watchkeeper.publish.report import write_report
from watchkeeper.publish.tracks import TrackParams
from watchkeeper.store import Workspace

__all__ = ["export_tracks_cmd", "report"]

WorkspaceOpt = Annotated[Path, typer.Option("-w", "--workspace", help=WORKSPACE_HELP)]


@app.command()
def report(
    workspace: WorkspaceOpt,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="HTML file to write; .pdf: a PDF (Chromium).")
    ],
    vessel: Annotated[int | None, typer.Option("--vessel", help="MMSI of the case.")] = None,
    event: Annotated[str | None, typer.Option("--event", help="Event id of the case.")] = None,
    top: Annotated[int | None, typer.Option("--top", help="The N riskiest vessels.")] = None,
) -> None:
    """Write a self-contained HTML case report (map, timeline, plots, evidence, hashes), or
    a PDF of it when the output ends in .pdf (printed by headless Chromium).

    Example: ``watchkeeper report -w ws --top 1 -o case.html`` (or ``-o case.pdf``)
    """
    ws = Workspace(workspace, read_only=True)
    case = write_report(ws, output, vessel=vessel, event=event, top=top)
    Console(stderr=True).print(
        f"wrote {output}: {len(case.vessels)} vessel(s), {len(case.events)} event(s), "
        f"{len(case.evidence)} evidence records",
        highlight=False,
    )


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"{name} expects an ISO 8601 time, got {value!r}") from exc


@export_app.command("tracks")
def export_tracks_cmd(
    workspace: WorkspaceOpt,
    fmt: Annotated[
        str, typer.Option("--format", help=f"One of {', '.join(TRACK_FORMATS)}.")
    ] = "geojson",
    output: Annotated[str, typer.Option("-o", "--output", help="File, or - for stdout.")] = "-",
    mmsi: Annotated[
        list[int] | None, typer.Option("--mmsi", help="Only this MMSI (repeatable).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="From this time (ISO 8601, UTC).")] = None,
    end: Annotated[str | None, typer.Option(help="Up to this time (ISO 8601, UTC).")] = None,
    split_gap_h: Annotated[
        float, typer.Option(help="Split a track at silences this long (h).")
    ] = 6.0,
) -> None:
    """Export tracks: GeoJSON lines with coordTimes, KML/KMZ gx:Track, GeoParquet, CSV.

    Example: ``watchkeeper export tracks -w ws --format kmz --mmsi 477231375 -o t.kmz``
    """
    ws = Workspace(workspace, read_only=True)
    n = export_tracks(
        ws,
        fmt,
        output,
        mmsis=mmsi or None,
        start=_time(start, "--start"),
        end=_time(end, "--end"),
        params=TrackParams(split_gap_h=split_gap_h),
    )
    unit = "rows" if fmt == "csv" else "tracks"
    Console(stderr=True).print(f"wrote {n} {unit} to {output}", highlight=False)

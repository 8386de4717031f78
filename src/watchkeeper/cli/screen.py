"""``watchkeeper lists add|show``, ``screen``, ``vessels`` and ``export vessels``.

Examples::

    watchkeeper lists add sdn.csv UN_consolidated.xml -w ws
    watchkeeper lists add data/sanctions/ -w ws
    watchkeeper screen -w ws
    watchkeeper vessels -w ws --top 20
    watchkeeper export vessels -w ws --format csv -o vessels.csv
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from watchkeeper.assess.vessels import (
    EXPORT_FORMATS,
    build_vessels,
    screen_workspace,
    write_vessels,
)
from watchkeeper.cli._app import WORKSPACE_HELP, app, export_app
from watchkeeper.context.imo import imo_label
from watchkeeper.context.sanctions import add_list, current_entities, list_versions, read_list
from watchkeeper.context.sanctions.read import list_paths
from watchkeeper.errors import ConfigError
from watchkeeper.publish._sink import atomic_file
from watchkeeper.publish.exports import VESSEL_FORMATS, vessels_with_position, write_vessels_geo
from watchkeeper.publish.select import VesselFilter, parse_bbox, round_meaning, select_vessels
from watchkeeper.store import Workspace
from watchkeeper.tracks.build import parse_time

__all__ = ["lists_app"]

console = Console()
lists_app = typer.Typer(
    help="Sanctions lists: add versions, show what is loaded.", no_args_is_help=True
)
app.add_typer(lists_app, name="lists")

WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help=WORKSPACE_HELP)]


@lists_app.command("add")
def lists_add(
    files: Annotated[
        list[Path],
        typer.Argument(help="UN XML, OFAC sdn.csv/sdn.xml, FtM JSON lines, or folders of them."),
    ],
    workspace: WorkspaceOpt,
    list_date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Publication date YYYY-MM-DD of lists without one of their own (the OFAC "
            "CSV); a list's own date is kept.",
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Source name for FtM files.")] = None,
) -> None:
    """Store list entities with source and date; a newer version replaces the older (kept).

    A folder adds every list file under it; other files there are passed over.

    Example: watchkeeper lists add data/sanctions/ofac-sdn-2021 --date 2021-07-15 -w ws
    """
    try:
        when = date.fromisoformat(list_date) if list_date else None
    except ValueError as exc:
        raise ConfigError(f"--date expects YYYY-MM-DD, got {list_date!r}") from exc
    ws = Workspace(workspace)
    found = list_paths(files)
    for line in found.skipped:
        console.print(line, highlight=False, soft_wrap=True)
    for path in found.files:
        lf = read_list(path, list_date=when, source=source)
        summary = add_list(ws, lf)
        state = "added" if summary["added"] else "already present"
        if when and lf.list_date and lf.list_date != when:
            state += f" (dated {lf.list_date} by the list itself: --date {when} not used)"
        console.print(
            f"{path}: {summary['source']} {summary['list_date'] or 'undated'} {state}: "
            f"{summary['n_entities']} entities, {summary['n_vessels']} vessels "
            f"({summary['n_vessels_with_imo']} with IMO), {summary['n_rejects']} rejected rows",
            highlight=False,
            soft_wrap=True,
        )


@lists_app.command("show")
def lists_show(workspace: WorkspaceOpt) -> None:
    """Show every list version in the workspace and which one is current per source."""
    table = Table("source", "date", "version", "entities", "vessels", "with IMO", "current")
    for v in list_versions(Workspace(workspace, read_only=True)).to_pylist():
        table.add_row(
            v["source"],
            str(v["list_date"] or "undated"),
            v["version_id"],
            str(v["n_entities"]),
            str(v["n_vessels"]),
            str(v["n_vessels_with_imo"]),
            "yes" if v["current"] else "",
        )
    console.print(table)


@app.command("screen")
def screen_cmd(
    workspace: WorkspaceOpt,
    show: Annotated[int, typer.Option(help="Hits to print (matches first).")] = 20,
) -> None:
    """Screen every identity each vessel has shown against the current lists.

    Example: watchkeeper screen -w ws
    """
    ws = Workspace(workspace, create=False)
    if current_entities(ws, vessels_only=True).num_rows == 0:
        Console(stderr=True).print(
            "[yellow]warning:[/yellow] no listed vessels in this workspace; "
            "add lists with: watchkeeper lists add FILE -w DIR"
        )
    result = screen_workspace(ws)
    levels = result["level"].to_pylist()
    console.print(
        f"{levels.count('match')} match, {levels.count('review')} review "
        f"({len(set(result['mmsi'].to_pylist()))} vessels)",
        highlight=False,
    )
    rows = sorted(result.to_pylist(), key=lambda r: (r["level"] != "match", -r["score"]))
    table = Table("mmsi", "level", "score", "entity", "explanation")
    for r in rows[:show]:
        table.add_row(
            str(r["mmsi"]), r["level"], f"{r['score']:.2f}", r["entity_id"], r["explanation"]
        )
    console.print(table)


@app.command("vessels")
def vessels_cmd(
    workspace: WorkspaceOpt,
    top: Annotated[int, typer.Option(help="How many vessels to show.")] = 20,
) -> None:
    """Rank vessels by risk with the reasons behind each score.

    Example: watchkeeper vessels -w ws --top 10
    """
    table = build_vessels(Workspace(workspace, create=False))
    out = Table(box=None, pad_edge=False, padding=(0, 0, 0, 1), header_style="bold")
    for name in ("risk", "mmsi", "name", "imo", "flag", "sanctions"):
        out.add_column(name, no_wrap=name in ("risk", "mmsi", "imo", "flag"))
    out.add_column("reasons", overflow="fold", ratio=1)
    for v in table.slice(0, top).to_pylist():
        reasons = "; ".join(
            f"{r['reason']} +{r['weight']:g}"
            + (f" ({len(r['event_ids'])} ev)" if r["event_ids"] else "")
            for r in json.loads(v["reasons"])
        )
        out.add_row(
            f"{v['risk']:.1f}",
            str(v["mmsi"]),
            v["name"] or "",
            imo_label(v["imo"], v["mmsi"]),
            v["flag"] or "",
            v["sanctions_match"] or "",
            reasons,
        )
    console.print(out)


@export_app.command("vessels")
def export_vessels(
    workspace: WorkspaceOpt,
    output: Annotated[str, typer.Option("--output", "-o", help="File, or '-' for stdout.")] = "-",
    fmt: Annotated[
        str,
        typer.Option("--format", help="csv, json, geojson, kml, kmz, geoparquet, cot or ftm."),
    ] = "csv",
    mmsi: Annotated[
        list[int] | None, typer.Option("--mmsi", help="Only this vessel (repeatable).")
    ] = None,
    min_risk: Annotated[
        float | None, typer.Option("--min-risk", help="Only vessels of at least this risk.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only vessels seen at or after this time (ISO 8601, UTC).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Only vessels seen before this time.")] = None,
    bbox: Annotated[
        str | None,
        typer.Option(help="Only vessels last seen inside lon0,lat0,lon1,lat1 (degrees)."),
    ] = None,
) -> None:
    """Export the vessels table (DESIGN §2 columns); map formats place each at its last position.

    Example: watchkeeper export vessels -w ws --format cot --min-risk 50 -o suspects.cot
    """
    try:
        times = [None if t is None else parse_time(t) for t in (since, until)]
    except ValueError as exc:
        raise ConfigError(f"--since/--until take ISO 8601 times: {exc}") from None
    chosen = VesselFilter(
        mmsis=tuple(mmsi or ()),
        min_risk=min_risk,
        since=times[0],
        until=times[1],
        bbox=None if bbox is None else parse_bbox(bbox),
    )
    formats = (*EXPORT_FORMATS, *VESSEL_FORMATS)
    if fmt not in formats:
        raise ConfigError(f"--format must be one of {', '.join(formats)}, got {fmt!r}")
    ws = Workspace(workspace, read_only=True)
    table = build_vessels(ws, save=False)  # rebuilt (events or screening may be newer), not stored
    if fmt in VESSEL_FORMATS or chosen.bbox is not None:
        table = vessels_with_position(ws, table)
    table = select_vessels(table, chosen)
    where = "stdout" if output == "-" else output
    if fmt in VESSEL_FORMATS:
        n = write_vessels_geo(table, fmt, output)
    elif output == "-":
        n = write_vessels(round_meaning(table), sys.stdout, fmt)
    else:
        with atomic_file(output) as tmp, tmp.open("w", encoding="utf-8", newline="") as f:
            n = write_vessels(round_meaning(table), f, fmt)
    Console(stderr=True).print(f"wrote {n:,} vessels to {where}", highlight=False, soft_wrap=True)

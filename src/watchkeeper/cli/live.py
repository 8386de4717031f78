"""``watchkeeper watch`` and ``watchkeeper replay``: live feeds in, alerts out."""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.console import Console

from watchkeeper.cli._app import WORKSPACE_HELP, app
from watchkeeper.errors import ConfigError
from watchkeeper.live.feeds import FeedStats, follow_file, parse_endpoint, run_tcp, run_udp
from watchkeeper.live.outputs import CotOutput, QueuedOutput, ServiceOutput, WebhookOutput
from watchkeeper.live.replay import ReplayOptions, serve
from watchkeeper.live.watch import LIVE_DIR, Watcher, WatchParams

__all__ = ["replay", "watch"]


def _endpoint(text: str, option: str) -> tuple[str, int]:
    try:
        return parse_endpoint(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM: the loop finishes its batch and exits cleanly."""
    stop = threading.Event()

    def handler(_sig: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


@app.command()
def watch(
    workspace: Annotated[Path, typer.Option("--workspace", "-w", help=WORKSPACE_HELP)],
    tcp: Annotated[
        list[str] | None, typer.Option(help="Connect to a TCP feed HOST:PORT (repeatable).")
    ] = None,
    udp: Annotated[
        list[str] | None, typer.Option(help="Listen for UDP datagrams on HOST:PORT (repeatable).")
    ] = None,
    follow: Annotated[Path | None, typer.Option(help="Follow a growing NMEA file.")] = None,
    alerts: Annotated[
        str | None, typer.Option(help="Write alerts as JSON lines to FILE, or '-' for stdout.")
    ] = None,
    webhook: Annotated[
        list[str] | None,
        typer.Option(help="POST alerts as JSON to URL, retried until accepted (repeatable)."),
    ] = None,
    cot: Annotated[
        str | None, typer.Option(help="Send alerts as Cursor-on-Target to a TAK server HOST:PORT.")
    ] = None,
    publish_tlp: Annotated[
        str | None,
        typer.Option(help="Publish alerts to the coalition service with this TLP (see publish)."),
    ] = None,
    publish_rel_to: Annotated[
        str, typer.Option(help="... releasable to these partner codes, comma-separated.")
    ] = "",
    database: Annotated[
        str | None, typer.Option(help="The service database (default: the workspace's).")
    ] = None,
    batch_lines: Annotated[int, typer.Option(help="Commit a batch at this many lines.")] = (
        WatchParams.batch_lines
    ),
    batch_s: Annotated[float, typer.Option(help="... or after this many seconds.")] = (
        WatchParams.batch_s
    ),
    detect_every: Annotated[
        float, typer.Option(help="Rerun detection this often (s) after new data; 0: each batch.")
    ] = WatchParams.detect_every_s,
    window_h: Annotated[float, typer.Option(help="The live window (hours).")] = (
        WatchParams.window_h
    ),
    no_detect: Annotated[bool, typer.Option("--no-detect", help="Store only.")] = False,
) -> None:
    """Watch live AIS feeds: log every line, store in batches, detect, emit alerts.

    Crash-safe: every line goes to a write-ahead log in the workspace first; after a crash
    the next start stores the log's tail and nothing twice. Stop with Ctrl-C or SIGTERM.

    Example: watchkeeper watch -w ws --tcp 153.44.253.27:5631 --alerts alerts.jsonl
    --webhook https://cell.example/hooks/ais --cot 127.0.0.1:8087
    """
    if not tcp and not udp and follow is None:
        raise ConfigError("watch needs a feed: --tcp HOST:PORT, --udp HOST:PORT or --follow FILE")
    params = replace(
        WatchParams(),
        batch_lines=batch_lines,
        batch_s=batch_s,
        detect_every_s=detect_every,
        window_h=window_h,
        detect=not no_detect,
    )
    out = None if alerts is None else (sys.stdout if alerts == "-" else Path(alerts))
    stop = _stop_on_signals()
    outputs = _outputs(workspace, webhook, cot)
    if publish_tlp is not None:
        outputs.append(_service_output(workspace, publish_tlp, publish_rel_to, database))
    watcher = Watcher(workspace, params, alerts_to=out, outputs=outputs)
    threads = []
    for kind, endpoints, runner in (("tcp", tcp or [], run_tcp), ("udp", udp or [], run_udp)):
        for text in endpoints:
            host, port = _endpoint(text, f"--{kind}")
            stats = FeedStats(f"{kind}:{text}")
            watcher.feeds.append(stats)
            threads.append(
                threading.Thread(
                    target=runner, args=(host, port, watcher.sink, stop, stats), daemon=True
                )
            )
    if follow is not None:
        stats = FeedStats(f"file:{follow}")
        watcher.feeds.append(stats)
        state = watcher.dir / "follow.json"
        threads.append(
            threading.Thread(
                target=follow_file, args=(follow, watcher.sink, stop, stats, state), daemon=True
            )
        )
    try:
        watcher.catch_up()  # the log's tail from before a restart, first
        for t in threads:
            t.start()
        watcher.run(stop)
    finally:
        watcher.close()
    c = watcher.counts
    Console(stderr=True).print(
        f"stored {c['lines_stored']:,} lines in {c['batches']:,} batches: "
        f"{c['positions']:,} positions; {c['alerts']:,} alerts",
        highlight=False,
    )


def _outputs(workspace: Path, webhooks: list[str] | None, cot: str | None) -> list[QueuedOutput]:
    """The webhook and CoT outputs asked for; each keeps its delivery record in the live folder."""
    state = workspace / LIVE_DIR / "outputs"
    out: list[QueuedOutput] = []
    for i, url in enumerate(webhooks or []):
        try:
            out.append(WebhookOutput(url, state, name=f"webhook-{i + 1}"))
        except ValueError as exc:
            raise ConfigError(f"--webhook: {exc}") from None
    if cot is not None:
        out.append(CotOutput(*_endpoint(cot, "--cot"), state))
    return out


def _service_output(workspace: Path, tlp: str, rel_to: str, database: str | None) -> ServiceOutput:
    """Alerts published to the coalition service with one marking, each batch audited."""
    from watchkeeper.serve.audit import AuditLog
    from watchkeeper.serve.db import open_service_db
    from watchkeeper.serve.markings import Marking
    from watchkeeper.serve.publish import publish_events
    from watchkeeper.serve.settings import ServeSettings

    marking = Marking.parse(tlp, [c for c in rel_to.split(",") if c])
    settings = ServeSettings(workspace=workspace, database_url=database)
    db = open_service_db(settings)
    audit = AuditLog(settings.audit_path, db)

    def publish(events: pa.Table) -> int:
        ids = publish_events(db, events, marking, by="live:watch")
        audit.append(
            who="live:watch",
            action="write",
            target=f"publish {len(ids)} live alert(s)",
            status=0,
            marking=marking.as_dict(),
            detail={"events": ids},
        )
        return len(ids)

    return ServiceOutput(publish, workspace / LIVE_DIR / "outputs")


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="NMEA file to serve (plain or compressed).")],
    serve_at: Annotated[
        str, typer.Option("--serve", help="Listen on HOST:PORT (e.g. 127.0.0.1:5631).")
    ],
    rate: Annotated[float | None, typer.Option(help="Lines per second.")] = None,
    speed: Annotated[
        float | None, typer.Option(help="Multiple of the file's own timing (tag-block times).")
    ] = None,
    loop: Annotated[bool, typer.Option(help="Start over at the end of the file.")] = False,
) -> None:
    """Serve a recorded NMEA file as a TCP feed: each client gets its lines from the start.

    Example: watchkeeper replay sim/traffic.nmea --serve 127.0.0.1:5631 --speed 60
    """
    if rate is not None and speed is not None:
        raise typer.BadParameter("give --rate or --speed, not both", param_hint="--rate")
    if not file.is_file():
        raise ConfigError(f"{file}: no such file")
    host, port = _endpoint(serve_at, "--serve")
    stop = _stop_on_signals()
    Console(stderr=True).print(f"serving {file} on {host}:{port}", highlight=False)
    serve(file, host, port, ReplayOptions(rate=rate, speed=speed, loop=loop), stop)

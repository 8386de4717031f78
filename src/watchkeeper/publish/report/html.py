"""The report as one self-contained HTML file: inline CSS and SVG, no script, no request.

Sections: summary, map, timeline, per vessel (sanctions match with its explanation, risk
reasons, speed and draught plots, identity history), events, evidence (chain of custody) and
sources with their SHA-256. Everything user-supplied is escaped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from watchkeeper import __version__
from watchkeeper.context.flags import flag_code, flag_name, flag_of, mid_of
from watchkeeper.publish.describe import describe
from watchkeeper.publish.report.case import Case
from watchkeeper.publish.report.reach import dark_areas
from watchkeeper.publish.report.svg import (
    EVENT_COLOURS,
    TRACK_COLOURS,
    MapBox,
    inset_svg,
    line_plot,
    map_svg,
    timeline_svg,
)

__all__ = ["render_html"]

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:28px}
table{border-collapse:collapse;margin:6px 0;font-size:12px;max-width:100%}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#f2f2f2}.mono{font-family:ui-monospace,monospace;font-size:11px}
.mono td{overflow-wrap:anywhere;max-width:18em}
.grid{stroke:#999;stroke-width:.5;stroke-dasharray:2 3}.tick{font-size:10px;fill:#444}
.label{font-size:12px;font-weight:bold;paint-order:stroke;stroke:#fff;stroke-width:3px}
.evno{font-size:11px;font-weight:bold;paint-order:stroke;stroke:#fff;stroke-width:3px}
.title{font-size:12px;font-weight:bold}.match{color:#b00;font-weight:bold}
.focus{background:#fff3c4}.muted{color:#777}svg{display:block;margin:8px 0}
.place{font-size:10px;fill:#444}.insets{display:flex;flex-wrap:wrap;gap:8px}
figure.inset{margin:0}figcaption{font-size:12px;color:#444}.zone{font-size:11px;fill:#c0392b;font-style:italic}
"""


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return "" if value is None else str(value)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.5g}"
    if isinstance(value, list | tuple):
        return escape(", ".join(str(v) for v in value))
    return escape(_iso(value))


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def _time_range(case: Case) -> tuple[int, int]:
    times = [t.start_ms for t in case.tracks] + [t.end_ms for t in case.tracks]
    for ev in case.events:
        times.append(int(ev["start"].timestamp() * 1000))
        if ev.get("end"):
            times.append(int(ev["end"].timestamp() * 1000))
    return (min(times), max(times)) if times else (0, 1)


def _map(case: Case) -> str:
    lons = [float(x) for t in case.tracks for s in t.segments for x in s.lon]
    lats = [float(y) for t in case.tracks for s in t.segments for y in s.lat]
    lons += [e["lon"] for e in case.events if e.get("lon") is not None]
    lats += [e["lat"] for e in case.events if e.get("lat") is not None]
    if not lons:
        return '<p class="muted">No positions to map.</p>'
    labels = {v["mmsi"]: v.get("name") or str(v["mmsi"]) for v in case.vessels}
    kinds = sorted({e["type"] for e in case.events})
    legend = " ".join(
        f'<span style="color:{EVENT_COLOURS.get(k, "#000")}">&#9679;</span> {escape(k)}'
        for k in kinds
    )
    box = MapBox.around(lons, lats)
    areas = dark_areas(case.tracks, case.events)
    svg = map_svg(
        box, case.tracks, case.events, labels, places=case.places, zones=case.zones, areas=areas
    )
    return svg + (f"<p>{legend}</p>" if legend else "")


#: Close-ups drawn at most (ship-to-ship, gaps and identity first: the events a case rests on).
_MAX_INSETS = 8
_INSET_ORDER = ("dark_sts", "encounter", "ais_gap", "spoofing", "identity_change", "loitering")
_INSET_HALO_MS = 2 * 3_600_000  # two hours of track either side of the event


def _insets(case: Case) -> list[str]:
    """Close-ups of the case's events: their vessels' tracks from 2 h before to 2 h after,
    with times along them."""
    numbered = [(n, e) for n, e in enumerate(case.events, start=1) if e.get("lat") is not None]
    rank = {k: i for i, k in enumerate(_INSET_ORDER)}
    numbered.sort(key=lambda ne: (rank.get(ne[1]["type"], len(rank)), ne[0]))
    colours = {tr.mmsi: TRACK_COLOURS[i % len(TRACK_COLOURS)] for i, tr in enumerate(case.tracks)}
    names = {v["mmsi"]: v.get("name") or str(v["mmsi"]) for v in case.vessels}
    out = []
    for n, e in sorted(numbered[:_MAX_INSETS]):
        a = int(e["start"].timestamp() * 1000) - _INSET_HALO_MS
        b = int((e.get("end") or e["start"]).timestamp() * 1000) + _INSET_HALO_MS
        pieces = []
        for tr in case.tracks:
            if tr.mmsi not in (e["mmsi"], e.get("other_mmsi")):
                continue
            pts = [
                (int(t), float(x), float(y))
                for seg in tr.segments
                for t, x, y in zip(seg.t_ms, seg.lon, seg.lat, strict=True)
                if a <= t <= b
            ]
            if pts:
                pieces.append((colours[tr.mmsi], names.get(tr.mmsi, str(tr.mmsi)), pts))
        lons = [e["lon"]] + [p[1] for _, _, pts in pieces for p in pts]
        lats = [e["lat"]] + [p[2] for _, _, pts in pieces for p in pts]
        box = MapBox.around(lons, lats, width=440, min_deg=0.05)
        title = f"#{n} {e['type']} {_iso(e['start'])}"
        marker = (e["lon"], e["lat"], n, EVENT_COLOURS.get(e["type"], "#000"))
        out.append(
            f'<figure class="inset">{inset_svg(box, pieces, marker, title)}'
            f"<figcaption>{escape(title)}</figcaption></figure>"
        )
    if not out:
        return []
    return ["<h2>Events close up</h2>", '<div class="insets">', *out, "</div>"]


def _summary(case: Case) -> str:
    rows = [
        (
            v["mmsi"],
            v.get("name"),
            v.get("imo"),
            v.get("flag"),
            v.get("ship_type"),
            None if v.get("risk") is None else f"{v['risk']:.1f}",
            v.get("sanctions_match") or "",
            v.get("first_seen"),
            v.get("last_seen"),
            v.get("n_positions"),
        )
        for v in case.vessels
    ]
    headers = (
        "MMSI",
        "name",
        "IMO",
        "flag",
        "type",
        "risk",
        "sanctions",
        "first",
        "last",
        "positions",
    )
    return _table(headers, rows)


def _screening(hits: list[dict[str, Any]]) -> str:
    if not hits:
        return '<p class="muted">No sanctions list hit for this vessel.</p>'
    parts = []
    for h in hits[:5]:
        level = (
            f'<span class="{"match" if h["level"] == "match" else ""}">{escape(h["level"])}</span>'
        )
        parts.append(
            f"<p>{level} {h['score']:.2f} · {escape(h['entity_id'])} "
            f"({escape(h.get('source') or '')}, {escape(h.get('list_name') or '')}): "
            f"{escape(h.get('explanation') or '')}</p>"
        )
        if flag := _flags(h):
            parts.append(f"<p>{escape(flag)}</p>")
        feats = [
            (f.get("feature"), f.get("query"), f.get("candidate"), f.get("score"))
            for f in h["features"]
        ]
        parts.append(_table(("feature", "vessel broadcast", "list says", "score"), feats))
    return "".join(parts)


def _flags(hit: dict[str, Any]) -> str | None:
    """The flag on the list beside the flag the MMSI claims (its MID), and whether they agree:
    a listed vessel under another flag has been reflagged since, or flies a false one."""
    listed = hit.get("list_flag")
    if not listed:
        return None
    claimed, name, mid = flag_of(hit["mmsi"]), flag_name(hit["mmsi"]), mid_of(hit["mmsi"])
    said = f"Flag: the list says {listed}; MMSI {hit['mmsi']} (MID {mid}) says {name or 'none'}"
    code = flag_code(listed)
    if code is None or claimed is None:
        return said + "."
    if code == claimed:
        return said + ": they agree."
    return said + ": they differ (reflagged since the listing, or a false flag)."


def _reasons(vessel: dict[str, Any], numbers: dict[str, int]) -> str:
    items = json.loads(vessel.get("reasons") or "[]")
    if not items:
        return '<p class="muted">No risk reason.</p>'
    rows = [
        (
            r["reason"],
            f"+{r['weight']:g}",
            r.get("detail", ""),
            " ".join(f"#{numbers[e]}" if e in numbers else e for e in r.get("event_ids", [])),
        )
        for r in items
    ]
    return _table(("reason", "weight", "detail", "events"), rows) + (
        f"<p>Risk {vessel.get('risk') or 0:g} / 100 (capped sum of the weights).</p>"
    )


def _event_spans(case: Case, mmsi: int) -> list[tuple[int, int, str, str]]:
    """The vessel's events as shaded spans of its plots (an open event to the plot's end)."""
    out = []
    for n, e in enumerate(case.events, start=1):
        if mmsi not in (e["mmsi"], e.get("other_mmsi")):
            continue
        a = int(e["start"].timestamp() * 1000)
        b = int(e["end"].timestamp() * 1000) if e.get("end") else 2**62
        out.append((a, b, EVENT_COLOURS.get(e["type"], "#000"), f"#{n} {e['type']}"))
    return out


def _plots(case: Case, mmsi: int, t_range: tuple[int, int]) -> str:
    out = []
    spans = _event_spans(case, mmsi)
    for tr in case.tracks:
        if tr.mmsi != mmsi:
            continue
        ts, sog = [], []
        for seg in tr.segments:
            ts += [int(t) for t in seg.t_ms] + [int(seg.t_ms[-1])]
            sog += [float(v) for v in seg.sog_kn] + [math.nan]  # break the line at gaps
        out.append(
            line_plot(
                [(f"SOG {mmsi}", ts, sog)],
                title="Speed over ground",
                unit="kn",
                t_range=t_range,
                spans=spans,
            )
        )
    ids = [r for r in case.identities.get(mmsi, []) if r.get("draught_m") is not None]
    if ids:
        ts, draught = [], []
        for r in ids:  # a run of identical reports holds its value to its last report
            for t in dict.fromkeys([r["ts"], r.get("ts_last") or r["ts"]]):
                ts.append(int(t.timestamp() * 1000))
                draught.append(float(r["draught_m"]))
        out.append(
            line_plot(
                [(f"draught {mmsi}", ts, draught)],
                title="Reported draught",
                unit="m",
                t_range=t_range,
                step=True,
                spans=spans,
            )
        )
    return "".join(out)


def _identity_history(rows: list[dict[str, Any]]) -> str:
    """Each distinct (name, IMO, call sign, type) with when it was first and last broadcast."""
    spans: dict[tuple[Any, ...], list[Any]] = {}
    for r in rows:
        key = (r.get("name"), r.get("imo"), r.get("callsign"), r.get("ship_type"))
        if all(k is None or k == "" for k in key):
            continue
        span = spans.setdefault(key, [r["ts"], r["ts"], 0, set()])
        span[1], span[2] = r["ts"], span[2] + 1
        span[3].add(r.get("source") or "")
    if not spans:
        return '<p class="muted">No identity reports.</p>'
    table = [
        (*k, s[0], s[1], s[2], sorted(s[3])[:4])
        for k, s in sorted(spans.items(), key=lambda i: i[1][0])
    ]
    return _table(
        ("name", "IMO", "call sign", "type", "first", "last", "reports", "receivers"), table
    )


def _events(case: Case) -> str:
    rows = []
    for n, e in enumerate(case.events, start=1):
        rows.append(
            (
                f"#{n}",
                e["type"],
                e["mmsi"],
                e.get("other_mmsi") or "",
                e["start"],
                e.get("end") or "open",
                e.get("lat"),
                e.get("lon"),
                e.get("confidence"),
                describe(e["type"], e.get("details")),
                e["event_id"],
            )
        )
    headers = (
        "#",
        "type",
        "MMSI",
        "other",
        "start",
        "end",
        "lat",
        "lon",
        "conf.",
        "details",
        "event id",
    )
    return _table(headers, rows) if rows else '<p class="muted">No events.</p>'


def _or_unknown(value: object) -> object:
    """A missing value shown as '?' (records from before the column, or built, not read)."""
    return "?" if value is None else value


def _evidence(case: Case, root: Path | None) -> str:
    if not case.evidence:
        out = '<p class="muted">No stored records behind these events.</p>'
    else:
        out = _evidence_table(case.evidence, root, [f"#{r['event_no']}" for r in case.evidence])
    for n, (label, rows) in enumerate(case.match_evidence, start=1):
        out += f"<h3>Behind sanctions match S{n}: {escape(label)}</h3>"
        out += _evidence_table(rows, root, [f"S{n}"] * len(rows))
    return out


def _evidence_table(records: list[dict[str, Any]], root: Path | None, labels: list[str]) -> str:
    rows = []
    for label, r in zip(labels, records, strict=True):
        stored = Path(r["stored_file"])
        if root is not None and stored.is_relative_to(root):
            stored = stored.relative_to(root)
        rows.append(
            (
                label,
                f"{r['k']}/{r['n']}",
                r["layer"],
                r["mmsi"],
                r["ts"],
                r.get("lat"),
                r.get("lon"),
                r.get("sog_kn"),
                r.get("note") or "",
                r.get("source") or "",
                Path(r.get("file") or "?").name,
                _or_unknown(r.get("source_line")),
                f"{stored}#{r['stored_row']}",
                r.get("sha256") or "",
            )
        )
    headers = (
        "event",
        "record",
        "layer",
        "MMSI",
        "time",
        "lat",
        "lon",
        "SOG",
        "identity",
        "receiver",
        "source file",
        "source line",
        "stored row",
        "source SHA-256",
    )
    return _table(headers, rows, cls="mono")


def _sources(case: Case) -> str:
    rows = [
        (
            s["file"],
            s["sha256"],
            s.get("size_bytes"),
            s.get("format"),
            s.get("finished"),
            s.get("n_positions"),
            s.get("n_identities"),
            s.get("n_rejects"),
        )
        for s in case.sources
    ]
    headers = (
        "file",
        "SHA-256",
        "bytes",
        "format",
        "ingested",
        "positions",
        "identities",
        "rejects",
    )
    return _table(headers, rows, cls="mono")


def render_html(
    case: Case, *, workspace: Path | None = None, generated: datetime | None = None
) -> str:
    """The report's HTML text."""
    t_range = _time_range(case)
    numbers = {e["event_id"]: n for n, e in enumerate(case.events, start=1)}
    when = generated or datetime.now(UTC)
    body = [
        f"<h1>watchkeeper case report: {escape(case.title)}</h1>",
        f'<p class="muted">Generated {_iso(when)} by watchkeeper {escape(__version__)}'
        f"{' from workspace ' + escape(str(workspace)) if workspace else ''}. "
        "Times UTC; positions WGS84.</p>",
        "<h2>Vessels</h2>",
        _summary(case),
        "<h2>Map</h2>",
        _map(case),
        '<p class="muted">Land: global-land-mask 1 km GLOBE raster. Dashed: no position '
        "received (gap). Numbers: events below.</p>",
        "<h2>Timeline</h2>",
        timeline_svg(case.events, t_range) if case.events else '<p class="muted">No events.</p>',
        *_insets(case),
    ]
    for v in case.vessels:
        body += [
            f"<h2>{escape(v.get('name') or '')} MMSI {v['mmsi']}</h2>",
            "<h3>Sanctions screening</h3>",
            _screening(case.screening.get(v["mmsi"], [])),
            "<h3>Risk reasons</h3>",
            _reasons(v, numbers),
            "<h3>Speed and draught</h3>",
            _plots(case, v["mmsi"], t_range),
            "<h3>Identity history</h3>",
            _identity_history(case.identities.get(v["mmsi"], [])),
        ]
    body += [
        "<h2>Events</h2>",
        _events(case),
        "<h2>Evidence</h2>",
        "<p>The stored records behind each event (first, last and evenly spaced between; "
        "<em>record</em> is k of n). <em>source line</em> is the line (NMEA, CSV) or row "
        "(Parquet) of the record in the source file; <em>stored row</em> is the row in the "
        "workspace Parquet file named after the ingest; the source file's SHA-256 lets anyone "
        "check they hold the same bytes and re-derive the finding.</p>",
        _evidence(case, workspace),
        "<h2>Sources</h2>",
        _sources(case),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(case.title)}</title>"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )

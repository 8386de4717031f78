"""What a report shows, read from a workspace: the case's vessels, events, tracks and evidence.

The evidence behind an event is the stored records of its vessel(s) between its start and
end (for a gap: the last position before and the first after). Each record is traced back to
its source: the Parquet file it is stored in is named ``<ingest_id>[-<part>].parquet``,
``ingest_log`` gives that ingest's source file and SHA-256, and the record's ``line`` column its
line (NMEA, CSV) or row (Parquet) in that file, so anyone with the source files can check the
hash and re-derive the finding (chain of custody).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import shapely

from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.publish.tracks import Track, TrackParams, read_tracks
from watchkeeper.store.base import Store

__all__ = ["Case", "ReportParams", "load_case"]

_PAIR_TYPES = ("encounter", "dark_sts")
_OPEN_END = datetime(9999, 1, 1, tzinfo=UTC)
# events whose evidence is identity reports (static messages), besides positions
_IDENTITY_TYPES = ("identity_change", "draught_change")


@dataclass(frozen=True)
class ReportParams:
    """What goes into a report."""

    # Evidence rows shown per event and vessel: first, last and evenly spaced between (the
    # full list is in the workspace; the count is shown). 12 keeps a 50-event case readable.
    evidence_per_event: int = 12
    # Track vertices per segment on the map: 3,000 keeps a 3-day class A track exact to a
    # few hundred metres at report scale and the HTML under a few MB.
    max_map_points: int = 3000
    # With --event, tracks are shown this long before and after the event.
    event_halo_h: float = 24.0

    def __post_init__(self) -> None:
        if self.evidence_per_event < 2:
            raise ConfigError("evidence_per_event must be >= 2")


@dataclass
class Case:
    """Everything one report shows."""

    title: str
    vessels: list[dict[str, Any]]
    events: list[dict[str, Any]]
    tracks: list[Track]
    identities: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    screening: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    # the identity reports behind each sanctions match: (label, records)
    match_evidence: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    focus_event: str | None = None
    # the run's places (ports, anchorages: name, kind, lat, lon) and zones (name, shapely
    # geometry), drawn on the map where they fall inside it
    places: list[dict[str, Any]] = field(default_factory=list)
    zones: list[tuple[str, Any]] = field(default_factory=list)


def _vessels(ws: Store) -> pa.Table:
    table = ws.read_table("vessels")
    if table is None:
        from watchkeeper.assess.vessels import build_vessels

        table = build_vessels(ws, save=False)  # a report only reads
    return table


def _events(ws: Store) -> list[dict[str, Any]]:
    table = ws.events()
    return [] if table is None else table.sort_by("start").to_pylist()


def _involves(ev: dict[str, Any], mmsis: set[int]) -> bool:
    return ev["mmsi"] in mmsis or ev.get("other_mmsi") in mmsis


def _select(
    ws: Store, vessel: int | None, event: str | None, top: int | None
) -> tuple[list[int], str | None, str]:
    """The case's MMSIs, the focus event and a title, from exactly one of the three options."""
    if sum(x is not None for x in (vessel, event, top)) != 1:
        raise ConfigError("give exactly one of --vessel, --event or --top")
    if vessel is not None:
        return [vessel], None, f"Vessel MMSI {vessel}"
    if event is not None:
        ev = next((e for e in _events(ws) if e["event_id"] == event), None)
        if ev is None:
            raise NotFoundError(f"no event {event!r} in {ws.location}")
        mmsis = [ev["mmsi"]] + ([ev["other_mmsi"]] if ev.get("other_mmsi") is not None else [])
        return mmsis, event, f"Event {event} ({ev['type']})"
    assert top is not None
    if top < 1:
        raise ConfigError("--top must be >= 1")
    rows = _vessels(ws).slice(0, top).to_pylist()
    return [r["mmsi"] for r in rows], None, f"Top {top} vessel(s) by risk"


def _partners(events: list[dict[str, Any]], mmsis: list[int]) -> list[int]:
    out = list(mmsis)
    for ev in events:
        if ev["type"] in _PAIR_TYPES and _involves(ev, set(mmsis)):
            for m in (ev["mmsi"], ev.get("other_mmsi")):
                if m is not None and m not in out:
                    out.append(m)
    return out


def load_case(
    ws: Store,
    *,
    vessel: int | None = None,
    event: str | None = None,
    top: int | None = None,
    params: ReportParams | None = None,
) -> Case:
    """Read a case: one vessel, one event (and its vessels) or the top N vessels by risk."""
    p = params or ReportParams()
    mmsis, focus, title = _select(ws, vessel, event, top)
    all_events = _events(ws)
    if focus is not None:
        events = [e for e in all_events if e["event_id"] == focus]
    else:
        events = [e for e in all_events if _involves(e, set(mmsis))]
    shown = _partners(events, mmsis)
    start = end = None
    if focus is not None:
        halo = timedelta(hours=p.event_halo_h)
        start = events[0]["start"] - halo
        end = (events[0]["end"] or events[0]["start"]) + halo
    tparams = TrackParams(max_points=p.max_map_points)
    tracks = read_tracks(ws, mmsis=shown, start=start, end=end, params=tparams)
    vessel_rows = {r["mmsi"]: r for r in _vessels(ws).to_pylist() if r["mmsi"] in set(shown)}
    case = Case(
        title=title,
        vessels=[vessel_rows[m] for m in shown if m in vessel_rows],
        events=events,
        tracks=sorted(tracks, key=lambda t: shown.index(t.mmsi)),
        focus_event=focus,
    )
    case.identities = _identities(ws, shown)
    case.screening = _screening(ws, shown)
    case.evidence = evidence_rows(ws, events, per_event=p.evidence_per_event)
    case.match_evidence = match_evidence(ws, case.screening)
    case.sources = _sources(ws)
    case.places, case.zones = _context(ws)
    if not case.vessels and not case.tracks:
        raise NotFoundError(f"nothing to report: no data for MMSI(s) {shown} in {ws.location}")
    return case


def _identities(ws: Store, mmsis: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Per MMSI its identity reports in time order (name, IMO, call sign, type, draught)."""
    cols = ["mmsi", "ts", "imo", "name", "callsign", "ship_type", "draught_m", "destination"]
    table = ws.identities(mmsis=mmsis).sort_by([("mmsi", "ascending"), ("ts", "ascending")])
    if "ts_last" in table.column_names:  # a run of identical reports: its last report's time
        cols.append("ts_last")
    rows = table.select([*cols, "source"]).to_pylist()
    for r in rows:
        for key in ("name", "callsign", "destination"):
            r[key] = r[key].strip(" ") if r[key] is not None else None  # as SQL trim()
    out: dict[int, list[dict[str, Any]]] = {m: [] for m in mmsis}
    for r in rows:
        out[r["mmsi"]].append(r)
    return out


def _screening(ws: Store, mmsis: list[int]) -> dict[int, list[dict[str, Any]]]:
    table = ws.read_table("screening")
    out: dict[int, list[dict[str, Any]]] = {m: [] for m in mmsis}
    if table is None:
        return out
    entities = ws.read_table("list_entities")
    listed_flag: dict[str, str | None] = {}
    if entities is not None and "flag" in entities.column_names:
        listed_flag = dict(
            zip(
                entities.column("entity_id").to_pylist(),
                entities.column("flag").to_pylist(),
                strict=True,
            )
        )
    for hit in table.to_pylist():
        if hit["mmsi"] in out:
            hit["features"] = json.loads(hit.get("features") or "[]")
            hit["list_flag"] = listed_flag.get(hit["entity_id"])
            out[hit["mmsi"]].append(hit)
    for hits in out.values():
        hits.sort(key=lambda h: (h["level"] != "match", -h["score"]))
    return out


def _context(ws: Store) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """The places and zones the last detection run used (tables ``detect_places`` and
    ``detect_zones``), for the map; none before detection."""
    places = ws.read_table("detect_places")
    rows = [] if places is None else places.select(["name", "kind", "lat", "lon"]).to_pylist()
    zones = ws.read_table("detect_zones")
    shapes = []
    if zones is not None:
        for z in zones.select(["name", "wkb"]).to_pylist():
            shapes.append((str(z["name"]), shapely.from_wkb(z["wkb"])))
    return rows, shapes


def _sources(ws: Store) -> list[dict[str, Any]]:
    cols = ["ingest_id", "file", "sha256", "size_bytes", "format", "finished"]
    cols += ["n_positions", "n_identities", "n_rejects"]
    rows: list[dict[str, Any]] = ws.ingest_log().select(cols).to_pylist()
    return rows


def _windows(events: list[dict[str, Any]]) -> pa.Table:
    rows = []
    for n, ev in enumerate(events, start=1):
        stop: datetime = ev["end"] or _OPEN_END  # open: everything after the start
        for m in (ev["mmsi"], ev.get("other_mmsi")):
            if m is not None:
                rows.append(
                    {
                        "event_no": n,
                        "event_id": ev["event_id"],
                        "mmsi": m,
                        "start": ev["start"],
                        "stop": stop,
                        "identity_evidence": ev["type"] in _IDENTITY_TYPES,
                    }
                )
    ts = pa.timestamp("ms", tz="UTC")
    schema = pa.schema(
        [
            ("event_no", pa.int64()),
            ("event_id", pa.string()),
            ("mmsi", pa.int64()),
            ("start", ts),
            ("stop", ts),
            ("identity_evidence", pa.bool_()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


#: Screening features whose broadcast value has its first and last report in the identities.
_REPORTED = ("imo", "mmsi", "callsign", "name")


def match_evidence(
    ws: Store, screening: dict[int, list[dict[str, Any]]]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """For each sanctions *match*, the stored identity reports that carried the matching
    values (the first and the last report of each), traced to their source line like an
    event's evidence: what a committee asks to see behind "IMO 9018464 equal"."""
    out = []
    for mmsi, hits in screening.items():
        for hit in (h for h in hits if h["level"] == "match"):
            windows = []
            for f in hit["features"]:
                if f.get("feature") not in _REPORTED or not f.get("first_reported"):
                    continue
                for t in {f["first_reported"], f.get("last_reported") or f["first_reported"]}:
                    at = datetime.fromisoformat(t.replace("Z", "+00:00"))
                    windows.append((f["feature"], f["query"], at))
            if not windows:
                continue
            table = pa.Table.from_pylist(
                [
                    {
                        "event_no": 1,
                        "event_id": hit["entity_id"],
                        "mmsi": mmsi,
                        "start": at,
                        "stop": at,
                        "identity_evidence": True,
                    }
                    for _, _, at in windows
                ],
                schema=_windows([]).schema,
            )
            rows = [r for r in ws.evidence(table, per_event=4) if r["layer"] == "identities"]
            what = ", ".join(sorted({f"{k} {v}" for k, v, _ in windows}))
            out.append((f"MMSI {mmsi} = {hit['entity_id']} ({what})", rows))
    return out


def evidence_rows(
    ws: Store, events: list[dict[str, Any]], *, per_event: int = 12
) -> list[dict[str, Any]]:
    """Stored records behind each event, traced to their source file and its SHA-256.

    Rows: ``event_no`` (1-based, as in the report), ``layer``, ``mmsi``, ``ts``, position or
    identity values, ``source`` (receiver), ``stored_file``/``stored_row`` (the workspace
    Parquet and row), ``file``/``sha256`` (the ingested source), ``source_line`` (the line or
    row of the record in that file; null when unknown), ``k`` of ``n`` records.
    """
    if not events:
        return []
    return ws.evidence(_windows(events), per_event=per_event)

"""The vessels table (DESIGN §2): one row per MMSI with identity history, screening and risk.

Workspace adapters around the pure cores: :func:`screen_workspace` screens every identity in
a workspace against the current lists and stores the ``screening`` table;
:func:`build_vessels` joins positions, identities, screening and the ``events`` table (when
the detectors have written one) into ``vessels``; :func:`write_vessels` exports it.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Any, TextIO

import pyarrow as pa

from watchkeeper.assess.risk import (
    RiskWeights,
    VesselFacts,
    reasons_json,
    total_risk,
    vessel_reasons,
)
from watchkeeper.assess.screen import SCREENING, ScreenParams, screen, vessel_identities
from watchkeeper.context.flags import flag_of
from watchkeeper.context.sanctions.store import current_entities
from watchkeeper.errors import ConfigError
from watchkeeper.schema import VESSELS
from watchkeeper.store import Workspace

__all__ = ["EXPORT_FORMATS", "build_vessels", "screen_workspace", "write_vessels"]

EXPORT_FORMATS = ("csv", "json")

_IDENTITY_SQL = """
SELECT mmsi, imo, name, callsign, ship_type, max(length_m) AS length_m,
    min(ts) AS first_ts, max(ts) AS last_ts
FROM identities GROUP BY mmsi, imo, name, callsign, ship_type
"""
_NONEMPTY = "FILTER (WHERE {c} IS NOT NULL AND trim(CAST({c} AS VARCHAR)) <> '')"
_FACTS_SQL = f"""
WITH p AS (
    SELECT mmsi, min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS n_positions
    FROM positions GROUP BY mmsi
), i AS (
    SELECT mmsi, min(ts) AS i_first, max(ts) AS i_last,
        arg_max(imo, ts) {_NONEMPTY.format(c="imo")} AS imo,
        arg_max(name, ts) {_NONEMPTY.format(c="name")} AS name,
        arg_max(callsign, ts) {_NONEMPTY.format(c="callsign")} AS callsign,
        arg_max(ship_type, ts) {_NONEMPTY.format(c="ship_type")} AS ship_type,
        list_sort(list(DISTINCT trim(name)) {_NONEMPTY.format(c="name")}) AS names,
        list_sort(list(DISTINCT imo) {_NONEMPTY.format(c="imo")}) AS imos,
        list_sort(list(DISTINCT trim(callsign)) {_NONEMPTY.format(c="callsign")}) AS callsigns
    FROM identities GROUP BY mmsi
)
SELECT coalesce(p.mmsi, i.mmsi) AS mmsi, i.imo, trim(i.name) AS name,
    trim(i.callsign) AS callsign, i.ship_type,
    least(p.first_seen, i.i_first) AS first_seen, greatest(p.last_seen, i.i_last) AS last_seen,
    coalesce(p.n_positions, 0) AS n_positions, i.names, i.imos, i.callsigns
FROM p FULL OUTER JOIN i ON p.mmsi = i.mmsi
ORDER BY mmsi
"""
_EVENT_COLUMNS = (
    "event_id",
    "type",
    "mmsi",
    "other_mmsi",
    "start",
    "end",
    "lat",
    "lon",
    "confidence",
    "details",
)


def screen_workspace(ws: Workspace, params: ScreenParams | None = None) -> pa.Table:
    """Screen every identity every MMSI in ``ws`` has shown; store and return ``screening``."""
    with ws.connect() as con:
        identities = con.sql(_IDENTITY_SQL).to_arrow_table()
        mmsis = [r[0] for r in con.sql("SELECT DISTINCT mmsi FROM positions").fetchall()]
    vessels = vessel_identities(identities, mmsis)
    result = screen(vessels, current_entities(ws, vessels_only=True), params)
    ws.write_table("screening", result)
    return result


def _events(ws: Workspace) -> dict[int, list[dict[str, Any]]]:
    """Events by the MMSIs they involve (both sides of pair events); {} without a table."""
    table = ws.read_table("events")
    by: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if table is None:
        return by
    cols = [c for c in _EVENT_COLUMNS if c in table.column_names]
    for raw in table.select(cols).to_pylist():
        ev = {c: raw.get(c) for c in _EVENT_COLUMNS}
        by[ev["mmsi"]].append(ev)
        if ev["other_mmsi"] is not None and ev["other_mmsi"] != ev["mmsi"]:
            by[ev["other_mmsi"]].append(ev)
    return by


def _best_hits(ws: Workspace) -> dict[int, dict[str, Any]]:
    table = ws.read_table("screening")
    if table is None:
        return {}
    best: dict[int, dict[str, Any]] = {}
    for hit in table.cast(SCREENING).to_pylist():
        key = (hit["level"] == "match", hit["score"])
        old = best.get(hit["mmsi"])
        if old is None or key > (old["level"] == "match", old["score"]):
            best[hit["mmsi"]] = hit
    return best


def _facts(row: dict[str, Any], hit: dict[str, Any] | None) -> VesselFacts:
    return VesselFacts(
        mmsi=row["mmsi"],
        flag=flag_of(row["mmsi"]),
        ship_type=row["ship_type"],
        names=tuple(row["names"] or ()),
        imos=tuple(row["imos"] or ()),
        sanctions_level=hit["level"] if hit else None,
        sanctions_entity=hit["entity_id"] if hit else None,
        sanctions_explanation=hit["explanation"] if hit else None,
    )


def build_vessels(ws: Workspace, weights: RiskWeights | None = None) -> pa.Table:
    """Build, store and return the ``vessels`` table, highest risk first."""
    with ws.connect() as con:
        rows = con.sql(_FACTS_SQL).to_arrow_table().to_pylist()
    hits, events = _best_hits(ws), _events(ws)
    facts = {r["mmsi"]: _facts(r, hits.get(r["mmsi"])) for r in rows}
    flagged = {m for m, f in facts.items() if f.sanctions_level == "match" or f.flag == "KP"}
    out = []
    for row in rows:
        f, hit = facts[row["mmsi"]], hits.get(row["mmsi"])
        reasons = vessel_reasons(f, events.get(f.mmsi, []), flagged=flagged, weights=weights)
        out.append(
            {
                **row,
                "flag": f.flag,
                "sanctions_match": hit["entity_id"] if hit and hit["level"] == "match" else None,
                "sanctions_score": hit["score"] if hit else 0.0,
                "risk": total_risk(reasons, weights),
                "reasons": reasons_json(reasons),
            }
        )
    table = pa.Table.from_pylist(out, schema=VESSELS)
    table = table.sort_by(
        [("risk", "descending"), ("sanctions_score", "descending"), ("mmsi", "ascending")]
    )
    ws.write_table("vessels", table)
    return table


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def write_vessels(table: pa.Table, out: TextIO, fmt: str) -> int:
    """Write ``vessels`` as CSV (lists joined by '; ', reasons as JSON) or a JSON array."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    rows = table.select(VESSELS.names).to_pylist()
    if fmt == "json":
        for r in rows:
            r["reasons"] = json.loads(r["reasons"] or "[]")
        json.dump([{k: _json_value(v) for k, v in r.items()} for r in rows], out, indent=1)
        out.write("\n")
        return len(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=VESSELS.names, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        for key in ("names", "imos", "callsigns"):
            r[key] = "; ".join(str(x) for x in r[key] or [])
        writer.writerow({k: _json_value(v) for k, v in r.items()})
    out.write(buffer.getvalue())
    return len(rows)

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
from watchkeeper.store.base import Store

__all__ = ["EXPORT_FORMATS", "build_vessels", "screen_workspace", "write_vessels"]

EXPORT_FORMATS = ("csv", "json")

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


def screen_workspace(ws: Store, params: ScreenParams | None = None) -> pa.Table:
    """Screen every identity every MMSI in ``ws`` has shown; store and return ``screening``."""
    vessels = vessel_identities(ws.identity_variants(), ws.mmsis())
    result = screen(vessels, current_entities(ws, vessels_only=True), params)
    ws.write_table("screening", result)
    return result


def _events(ws: Store) -> dict[int, list[dict[str, Any]]]:
    """Events by the MMSIs they involve (both sides of pair events); {} without a table."""
    table = ws.events()
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


def _best_hits(ws: Store) -> dict[int, dict[str, Any]]:
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


def build_vessels(ws: Store, weights: RiskWeights | None = None, *, save: bool = True) -> pa.Table:
    """Build and return the ``vessels`` table, highest risk first; ``save`` stores it."""
    rows = ws.vessel_facts().to_pylist()
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
    if save:
        ws.write_vessels(table)
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

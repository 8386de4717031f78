"""The read side: what a partner may see, selected in SQL with its releases joined.

Every function takes the partner's code and binds it as ``:partner`` in the one query that
selects items (:func:`watchkeeper.serve.db.visible_sql`): an item not released to the
partner is never read, so it cannot leak through a list, a bounding box, a cursor, a count or
a link, and asking for it by id finds nothing (:class:`NotFoundError`, 404), exactly as for
an id that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.serve.db import ServiceDB, visible_sql
from watchkeeper.serve.markings import Marking, strictest
from watchkeeper.store.base import BBox, Store

__all__ = [
    "TRACK_HALO_MS",
    "EventFilter",
    "Interval",
    "alerts",
    "event_by_id",
    "events_page",
    "iso",
    "parse_bbox",
    "parse_datetime",
    "report_html",
    "tracks_page",
    "vessel_by_mmsi",
    "vessels_page",
]

#: A released event releases its vessels' tracks over the event +- 6 h: enough to show the
#: approach and departure of an encounter (the detectors' halos are 3 h, docs/architecture.md).
TRACK_HALO_MS = 6 * 3600 * 1000
#: Points per track feature at most: a map needs no more, and a page stays small.
MAX_TRACK_POINTS = 5000

Interval = tuple[int | None, int | None]  # [start, end] in ms since the epoch, open if None


def iso(ms: int | None) -> str | None:
    """ISO 8601 UTC (``...Z``) of a time in ms since the epoch."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(text: str, what: str) -> int:
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{what}: {text!r} is not an ISO 8601 time") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return int(t.timestamp() * 1000)


def parse_datetime(value: str | None, what: str = "datetime") -> Interval:
    """An OGC ``datetime``: an instant, ``a/b``, ``../b``, ``a/..`` (open ends may be empty).

    >>> parse_datetime("2024-03-04T00:00:00Z/..")
    (1709510400000, None)
    """
    if value is None or not value.strip():
        return None, None
    if "/" not in value:
        t = _instant(value, what)
        return t, t
    a, _, b = value.partition("/")
    lo = None if a.strip() in ("", "..") else _instant(a, what)
    hi = None if b.strip() in ("", "..") else _instant(b, what)
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"{what}: {value!r} ends before it starts")
    return lo, hi


def parse_bbox(value: str | None) -> BBox | None:
    """``minx,miny,maxx,maxy`` in degrees (``minx > maxx`` crosses the antimeridian).

    >>> parse_bbox("120,30,125.5,35")
    (120.0, 30.0, 125.5, 35.0)
    """
    if value is None or not value.strip():
        return None
    parts = value.split(",")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise ConfigError(f"bbox {value!r}: expected four numbers minx,miny,maxx,maxy") from None
    if len(nums) != 4 or not all(np.isfinite(nums)):
        raise ConfigError(f"bbox {value!r}: expected four numbers minx,miny,maxx,maxy")
    x0, y0, x1, y1 = nums
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise ConfigError(
            f"bbox {value!r}: longitudes in [-180, 180], latitudes in [-90, 90], miny <= maxy"
        )
    return x0, y0, x1, y1


@dataclass(frozen=True)
class EventFilter:
    """Filters of the event queries; every one optional."""

    bbox: BBox | None = None
    interval: Interval = (None, None)
    types: tuple[str, ...] = ()
    mmsi: int | None = None
    min_risk: float | None = None


def _bbox_sql(bbox: BBox, lon: str, lat: str, args: dict[str, Any]) -> str:
    x0, y0, x1, y1 = bbox
    args.update(bx0=x0, by0=y0, bx1=x1, by1=y1)
    lon_ok = f"{lon} BETWEEN :bx0 AND :bx1" if x0 <= x1 else f"({lon} >= :bx0 OR {lon} <= :bx1)"
    return f"{lon_ok} AND {lat} BETWEEN :by0 AND :by1"


def _rtree_sql(bbox: BBox, lo: int | None, hi: int | None) -> str:
    """Preselection by the R*Tree (``pub_events_rtree``) for a bounding box query; the box's
    parameters are bound by :func:`_bbox_sql`, the times as ``:t0``/``:t1``."""
    times = ("" if lo is None else " AND t1 >= :t0") + ("" if hi is None else " AND t0 <= :t1")
    lat = "lat1 >= :by0 AND lat0 <= :by1"
    if bbox[0] <= bbox[2]:
        boxes = [f"lon1 >= :bx0 AND lon0 <= :bx1 AND {lat}{times}"]
    else:  # across the antimeridian: two boxes
        boxes = [f"lon1 >= :bx0 AND {lat}{times}", f"lon0 <= :bx1 AND {lat}{times}"]
    union = " UNION ALL ".join(f"SELECT rid FROM pub_events_rtree WHERE {b}" for b in boxes)
    return f"e.rowid IN ({union})"


def _event_where(f: EventFilter, args: dict[str, Any], *, rtree: bool = True) -> str:
    conds = [visible_sql("event", "e.event_id", "e.tlp")]
    lo, hi = f.interval
    if f.bbox is not None:
        conds.append(_bbox_sql(f.bbox, "e.lon", "e.lat", args))
        if rtree:  # else plain indexes over (lon, lat) and the times
            conds.append(_rtree_sql(f.bbox, lo, hi))
    if lo is not None:
        conds.append("e.end_ms >= :t0")
        args["t0"] = lo
    if hi is not None:
        conds.append("e.start_ms <= :t1")
        args["t1"] = hi
    if f.types:
        names = []
        for i, t in enumerate(f.types):
            args[f"type{i}"] = t
            names.append(f":type{i}")
        conds.append(f"e.event_type IN ({', '.join(names)})")
    if f.mmsi is not None:
        conds.append("(e.mmsi = :mmsi OR e.other_mmsi = :mmsi)")
        args["mmsi"] = f.mmsi
    if f.min_risk is not None:
        conds.append("e.risk >= :min_risk")
        args["min_risk"] = f.min_risk
    return " AND ".join(conds)


_EVENT_COLUMNS = (
    "e.*, (SELECT group_concat(r2.partner, ',') FROM pub_release r2 WHERE r2.kind = 'event' "
    "AND r2.item_id = e.event_id) AS rel_to, "
    "(SELECT 1 FROM pub_vessels v WHERE v.mmsi = e.mmsi AND v.report_html IS NOT NULL AND "
    + visible_sql("vessel", "CAST(v.mmsi AS TEXT)", "v.tlp")
    + ") AS has_report"
)


def _marking(row: Any) -> Marking:
    return Marking(row["tlp"], tuple(sorted((row["rel_to"] or "").split(","))))


def report_url(mmsi: int) -> str:
    """Where a released vessel case's report is served."""
    return f"/api/v1/reports/{mmsi}"


def _event(row: Any) -> dict[str, Any]:
    """Feature properties of a published event row."""
    return {
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "mmsi": row["mmsi"],
        "other_mmsi": row["other_mmsi"],
        "start": iso(row["start_ms"]),
        "end": iso(row["end_ms"]),
        "confidence": None if row["confidence"] is None else round(row["confidence"], 4),
        "risk": row["risk"],
        "summary": row["summary"],
        "details": json.loads(row["details"]),
        "marking": _marking(row).as_dict(),
        "report_url": report_url(row["mmsi"]) if row["has_report"] else None,
        "published_at": row["published_at"],
        "lon": row["lon"],
        "lat": row["lat"],
    }


def events_page(
    db: ServiceDB, partner: str, f: EventFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The partner's events matching ``f`` by start time, one page, and how many match."""
    args: dict[str, Any] = {"partner": partner, "limit": limit, "offset": offset}
    where = _event_where(f, args, rtree=db.has_rtree)
    with db.session() as con:
        total = con.execute(f"SELECT count(*) FROM pub_events e WHERE {where}", args).fetchone()[0]
        rows = con.execute(
            f"SELECT {_EVENT_COLUMNS} FROM pub_events e WHERE {where} "
            "ORDER BY e.start_ms, e.event_id LIMIT :limit OFFSET :offset",
            args,
        ).fetchall()
    return [_event(r) for r in rows], int(total)


def event_by_id(db: ServiceDB, partner: str, event_id: str) -> dict[str, Any]:
    """One event released to the partner; :class:`NotFoundError` otherwise (404)."""
    args: dict[str, Any] = {"partner": partner, "event_id": event_id}
    where = _event_where(EventFilter(), args)
    with db.session() as con:
        row = con.execute(
            f"SELECT {_EVENT_COLUMNS} FROM pub_events e WHERE e.event_id = :event_id AND {where}",
            args,
        ).fetchone()
    if row is None:
        raise NotFoundError(f"no event {event_id}")
    return _event(row)


def _cursor(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit() or len(value) > 18:
        raise ConfigError(f"changed_since {value!r}: pass a next_cursor from an earlier answer")
    return int(value)


def alerts(
    db: ServiceDB, partner: str, f: EventFilter, *, changed_since: str | None, limit: int
) -> tuple[list[dict[str, Any]], str]:
    """The partner's events changed (published or re-marked) after the cursor, oldest change
    first, and the cursor to pass next time."""
    after = _cursor(changed_since)
    args: dict[str, Any] = {"partner": partner, "limit": limit, "after": after}
    where = _event_where(f, args, rtree=db.has_rtree)
    with db.session() as con:
        rows = con.execute(
            f"SELECT {_EVENT_COLUMNS} FROM pub_events e WHERE e.seq > :after AND {where} "
            "ORDER BY e.seq LIMIT :limit",
            args,
        ).fetchall()
    nxt = rows[-1]["seq"] if rows else after
    return [_event(r) for r in rows], str(nxt)


_VESSEL_COLUMNS = (
    "v.mmsi, v.name, v.imo, v.flag, v.ship_type, v.risk, v.reasons, v.sanctions, v.lat, v.lon, "
    "v.first_seen_ms, v.last_seen_ms, v.tlp, v.published_at, v.report_html IS NOT NULL AS "
    "has_report, (SELECT group_concat(r2.partner, ',') FROM pub_release r2 WHERE "
    "r2.kind = 'vessel' AND r2.item_id = CAST(v.mmsi AS TEXT)) AS rel_to"
)


def _vessel(row: Any) -> dict[str, Any]:
    reasons = json.loads(row["reasons"])
    return {
        "mmsi": row["mmsi"],
        "name": row["name"],
        "imo": row["imo"],
        "flag": row["flag"],
        "ship_type": row["ship_type"],
        "risk": row["risk"],
        "reasons": reasons,
        "sanctions": json.loads(row["sanctions"]),
        "marking": _marking(row).as_dict(),
        "report_url": report_url(row["mmsi"]) if row["has_report"] else None,
        "first_seen": iso(row["first_seen_ms"]),
        "last_seen": iso(row["last_seen_ms"]),
        "published_at": row["published_at"],
        "lon": row["lon"],
        "lat": row["lat"],
    }


def _vessel_where(bbox: BBox | None, interval: Interval, args: dict[str, Any]) -> str:
    conds = [visible_sql("vessel", "CAST(v.mmsi AS TEXT)", "v.tlp")]
    if bbox is not None:
        conds.append(_bbox_sql(bbox, "v.lon", "v.lat", args))
    lo, hi = interval
    if lo is not None:
        conds.append("v.last_seen_ms >= :t0")
        args["t0"] = lo
    if hi is not None:
        conds.append("v.first_seen_ms <= :t1")
        args["t1"] = hi
    return " AND ".join(conds)


def vessels_page(
    db: ServiceDB,
    partner: str,
    *,
    bbox: BBox | None,
    interval: Interval,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """The partner's vessel cases (riskiest first), one page, and how many match; ``bbox``
    applies to the last known position, ``interval`` to the span the vessel was seen."""
    args: dict[str, Any] = {"partner": partner, "limit": limit, "offset": offset}
    where = _vessel_where(bbox, interval, args)
    with db.session() as con:
        total = con.execute(f"SELECT count(*) FROM pub_vessels v WHERE {where}", args).fetchone()[0]
        rows = con.execute(
            f"SELECT {_VESSEL_COLUMNS} FROM pub_vessels v WHERE {where} "
            "ORDER BY v.risk DESC NULLS LAST, v.mmsi LIMIT :limit OFFSET :offset",
            args,
        ).fetchall()
    return [_vessel(r) for r in rows], int(total)


def vessel_by_mmsi(db: ServiceDB, partner: str, mmsi: int) -> dict[str, Any]:
    """One vessel case released to the partner; :class:`NotFoundError` otherwise."""
    args: dict[str, Any] = {"partner": partner, "mmsi": mmsi}
    where = _vessel_where(None, (None, None), args)
    with db.session() as con:
        row = con.execute(
            f"SELECT {_VESSEL_COLUMNS} FROM pub_vessels v WHERE v.mmsi = :mmsi AND {where}", args
        ).fetchone()
    if row is None:
        raise NotFoundError(f"no vessel {mmsi}")
    return _vessel(row)


def report_html(db: ServiceDB, partner: str, mmsi: int) -> tuple[str, dict[str, Any]]:
    """The case report of a vessel case released to the partner, and its marking."""
    args: dict[str, Any] = {"partner": partner, "mmsi": mmsi}
    where = _vessel_where(None, (None, None), args)
    with db.session() as con:
        row = con.execute(
            "SELECT v.report_html, v.tlp, (SELECT group_concat(r2.partner, ',') FROM pub_release "
            "r2 WHERE r2.kind = 'vessel' AND r2.item_id = CAST(v.mmsi AS TEXT)) AS rel_to "
            f"FROM pub_vessels v WHERE v.mmsi = :mmsi AND v.report_html IS NOT NULL AND {where}",
            args,
        ).fetchone()
    if row is None:
        raise NotFoundError(f"no report for vessel {mmsi}")
    return str(row["report_html"]), _marking(row).as_dict()


# -- tracks ------------------------------------------------------------------------------


def _released_spans(
    db: ServiceDB, partner: str, mmsi: int | None, interval: Interval
) -> dict[int, list[tuple[int, int, Marking]]]:
    """Per vessel, the time spans released to the partner and the marking of each: a vessel
    case's whole span, a released event's span +- :data:`TRACK_HALO_MS` for both its vessels."""
    args: dict[str, Any] = {"partner": partner, "halo": TRACK_HALO_MS}
    ev_vis = visible_sql("event", "e.event_id", "e.tlp")
    v_vis = visible_sql("vessel", "CAST(v.mmsi AS TEXT)", "v.tlp")
    rel = (
        "(SELECT group_concat(r2.partner, ',') FROM pub_release r2 WHERE r2.kind = '{k}' "
        "AND r2.item_id = {i}) AS rel_to"
    )
    sql = (
        f"SELECT v.mmsi AS m, v.first_seen_ms AS lo, v.last_seen_ms AS hi, v.tlp, "
        f"{rel.format(k='vessel', i='CAST(v.mmsi AS TEXT)')} FROM pub_vessels v WHERE {v_vis} "
        "AND v.first_seen_ms IS NOT NULL "
        f"UNION ALL SELECT e.mmsi, e.start_ms - :halo, e.end_ms + :halo, e.tlp, "
        f"{rel.format(k='event', i='e.event_id')} FROM pub_events e WHERE {ev_vis} "
        f"UNION ALL SELECT e.other_mmsi, e.start_ms - :halo, e.end_ms + :halo, e.tlp, "
        f"{rel.format(k='event', i='e.event_id')} FROM pub_events e WHERE {ev_vis} "
        "AND e.other_mmsi IS NOT NULL"
    )
    conds = []
    if mmsi is not None:
        conds.append("s.m = :mmsi")
        args["mmsi"] = mmsi
    lo, hi = interval
    if lo is not None:
        conds.append("s.hi >= :t0")
        args["t0"] = lo
    if hi is not None:
        conds.append("s.lo <= :t1")
        args["t1"] = hi
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    with db.session() as con:
        rows = con.execute(f"SELECT * FROM ({sql}) s {where} ORDER BY s.m, s.lo", args).fetchall()
    out: dict[int, list[tuple[int, int, Marking]]] = {}
    for r in rows:
        span_lo = r["lo"] if lo is None else max(r["lo"], lo)
        span_hi = r["hi"] if hi is None else min(r["hi"], hi)
        out.setdefault(int(r["m"]), []).append((span_lo, span_hi, _marking(r)))
    return out


def _merge(spans: Sequence[tuple[int, int, Marking]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi, _ in sorted(spans, key=lambda s: s[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _in_spans(ts_ms: np.ndarray[Any, Any], spans: list[tuple[int, int]]) -> np.ndarray[Any, Any]:
    keep = np.zeros(len(ts_ms), dtype=bool)
    for lo, hi in spans:
        keep |= (ts_ms >= lo) & (ts_ms <= hi)
    return keep


def tracks_page(
    db: ServiceDB,
    store: Store,
    partner: str,
    *,
    mmsi: int | None,
    interval: Interval,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One LineString per vessel with released spans (positions inside them only), one page
    by MMSI, and how many vessels match. Positions come from the workspace."""
    spans = _released_spans(db, partner, mmsi, interval)
    mmsis = sorted(spans)
    page = mmsis[offset : offset + limit]
    if not page:
        return [], len(mmsis)
    t0 = min(lo for m in page for lo, _, _ in spans[m])
    t1 = max(hi for m in page for _, hi, _ in spans[m])
    table = store.positions(
        start=datetime.fromtimestamp(t0 / 1000, UTC),
        end=datetime.fromtimestamp((t1 + 1) / 1000, UTC),
        mmsis=page,
        columns=("mmsi", "ts", "lat", "lon"),
        order=True,
    )
    ms = pc.cast(table["ts"], pa.int64()).to_numpy() if table.num_rows else np.zeros(0, np.int64)
    ids = table["mmsi"].to_numpy() if table.num_rows else np.zeros(0, np.int64)
    lat = table["lat"].to_numpy() if table.num_rows else np.zeros(0)
    lon = table["lon"].to_numpy() if table.num_rows else np.zeros(0)
    out = []
    for m in page:
        sel = (ids == m) & _in_spans(ms, _merge(spans[m]))
        idx = np.flatnonzero(sel)
        n_all = len(idx)
        if n_all > MAX_TRACK_POINTS:
            idx = idx[np.linspace(0, n_all - 1, MAX_TRACK_POINTS).round().astype(int)]
        out.append(
            {
                "mmsi": m,
                "start": iso(int(ms[idx[0]])) if len(idx) else None,
                "end": iso(int(ms[idx[-1]])) if len(idx) else None,
                "n_points": len(idx),
                "n_positions": n_all,
                "marking": strictest(s[2] for s in spans[m]).as_dict(),
                "coordinates": [[float(lon[i]), float(lat[i])] for i in idx],
            }
        )
    return out, len(mmsis)

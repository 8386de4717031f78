"""One entry point per exported thing (events, vessels, tracks) and format, for the CLI.

=============  ======  =======  ======
format         events  vessels  tracks
=============  ======  =======  ======
geojson        Point   Point    LineString + ``coordTimes``
kml / kmz      yes     yes      ``gx:Track``
geoparquet     yes     yes      yes (``coord_times`` column)
cot            marker  yes      -
ftm            links   yes      -
csv            yes     (assess) MarineCadastre positions
parquet        yes     -        -
=============  ======  =======  ======

Vessels are placed at their last position (joined from ``positions``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import shapely

from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.publish._sink import Sink, open_sink
from watchkeeper.publish.cot import CotParams, events_cot, vessels_cot, write_cot
from watchkeeper.publish.ftm import events_ftm, vessels_ftm, write_ftm
from watchkeeper.publish.geoparquet import write_geoparquet
from watchkeeper.publish.kml import events_kml, tracks_kml, vessels_kml, write_kml
from watchkeeper.publish.select import EventFilter, round_meaning, select_events
from watchkeeper.publish.tracks import (
    Track,
    TrackParams,
    last_positions,
    read_tracks,
    write_tracks_geojson,
)
from watchkeeper.schema import TIMESTAMP
from watchkeeper.store.base import Store

__all__ = [
    "ALL_EVENT_FORMATS",
    "EVENT_FORMATS",
    "TRACK_FORMATS",
    "VESSEL_FORMATS",
    "export_events",
    "export_tracks",
    "vessel_names",
    "vessels_with_position",
    "write_events",
    "write_tracks",
    "write_vessels_geo",
]

EVENT_FORMATS = ("kml", "kmz", "geoparquet", "cot", "ftm")
# What export_events writes: the tabular forms of the events table, then the map/feed forms.
ALL_EVENT_FORMATS = ("csv", "geojson", "parquet", *EVENT_FORMATS)
VESSEL_FORMATS = ("geojson", "kml", "kmz", "geoparquet", "cot", "ftm")
TRACK_FORMATS = ("geojson", "kml", "kmz", "geoparquet", "csv")


def _check(fmt: str, allowed: Sequence[str], what: str) -> None:
    if fmt not in allowed:
        raise ConfigError(f"{what}: unknown format {fmt!r}; use one of {', '.join(allowed)}")


def _points(table: pa.Table) -> list[Any]:
    lats, lons = table.column("lat").to_pylist(), table.column("lon").to_pylist()
    return [
        None if la is None or lo is None else shapely.Point(lo, la)
        for la, lo in zip(lats, lons, strict=True)
    ]


def write_events(events: pa.Table, fmt: str, out: Sink, *, vessels: pa.Table | None = None) -> int:
    """Write events (EVENTS columns) as kml, kmz, geoparquet, cot or ftm; items written.
    Text formats carry numbers rounded to their meaning (GeoParquet keeps the stored types)."""
    _check(fmt, EVENT_FORMATS, "events")
    if fmt != "geoparquet":
        events = round_meaning(events)
    if fmt in ("kml", "kmz"):
        write_kml(events_kml(events), out, kmz=fmt == "kmz")
        return int(events.num_rows)
    if fmt == "geoparquet":
        return write_geoparquet(events, _points(events), out)
    if fmt == "cot":
        return write_cot(events_cot(events), out)
    return write_ftm(events_ftm(events, vessels), out)


def _iso(t: datetime | None) -> str:
    return "" if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _events_geojson(events: pa.Table, out: Sink) -> int:
    feats = []
    for r in events.to_pylist():
        props = {k: v for k, v in r.items() if k not in ("lat", "lon")}
        props["start"], props["end"] = _iso(r["start"]), _iso(r["end"]) or None
        props["details"] = json.loads(r["details"] or "{}")
        props["evidence"] = json.loads(r["evidence"] or "{}")
        geom = None if r["lat"] is None else {"type": "Point", "coordinates": [r["lon"], r["lat"]]}
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    with open_sink(out) as stream:
        text = json.dumps({"type": "FeatureCollection", "features": feats})
        stream.write(text.encode("utf-8") + b"\n")
    return len(feats)


def _events_csv(events: pa.Table, out: Sink) -> int:
    """CSV of the events table with ISO 8601 UTC times (empty for an open end)."""
    rows = events.to_pylist()
    ready = events
    if rows:
        for r in rows:
            r["start"], r["end"] = _iso(r["start"]), _iso(r["end"])
        schema = pa.schema(
            [
                pa.field(f.name, pa.string() if f.name in ("start", "end") else f.type)
                for f in events.schema
            ]
        )
        ready = pa.Table.from_pylist(rows, schema=schema)
    with open_sink(out) as stream:
        pacsv.write_csv(ready, stream)
    return len(rows)


def export_events(
    store: Store,
    fmt: str,
    out: Sink,
    *,
    types: Sequence[str] | None = None,
    selection: EventFilter | None = None,
) -> int:
    """Export the stored events (of ``types`` only, if given; those ``selection`` keeps, in
    its order) as csv, geojson, parquet, kml, kmz, geoparquet, cot or ftm (ftm links the
    vessels table when it exists); items written.

    Raises NotFoundError before detection has stored any events.
    """
    _check(fmt, ALL_EVENT_FORMATS, "events")
    events = store.events(types=types)
    if events is None:
        where = store.location
        raise NotFoundError(f"no events in {where}: run `watchkeeper detect -w {where}` first")
    if selection is not None:
        events = select_events(events, selection)
    if fmt == "csv":
        return _events_csv(round_meaning(events), out)
    if fmt == "geojson":
        return _events_geojson(round_meaning(events), out)
    if fmt == "parquet":
        if out == "-":
            raise ConfigError("parquet needs a file: -o FILE")
        with open_sink(out) as stream:
            pq.write_table(events, stream)
        return int(events.num_rows)
    return write_events(events, fmt, out, vessels=store.vessels())


def vessels_with_position(ws: Store, vessels: pa.Table) -> pa.Table:
    """``vessels`` plus the last position's ``ts, lat, lon, sog_kn, cog_deg``, order kept."""
    mmsis = vessels.column("mmsi").to_pylist()
    last = last_positions(ws, mmsis)
    index = {m: i for i, m in enumerate(last.column("mmsi").to_pylist())}
    take = pa.array([index.get(m) for m in mmsis], pa.int64())
    out = vessels
    for name in ("ts", "lat", "lon", "sog_kn", "cog_deg"):
        out = out.append_column(name, last.column(name).take(take))
    return out


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _vessels_geojson(vessels: pa.Table, out: Sink) -> int:
    feats = []
    for row, geom in zip(vessels.to_pylist(), _points(vessels), strict=True):
        props = {k: _json_ready(v) for k, v in row.items() if k not in ("lat", "lon")}
        props["reasons"] = json.loads(row.get("reasons") or "[]")
        feats.append(
            {
                "type": "Feature",
                "id": f"MMSI-{row['mmsi']}",
                "geometry": None if geom is None else shapely.geometry.mapping(geom),
                "properties": props,
            }
        )
    with open_sink(out) as stream:
        doc = {"type": "FeatureCollection", "features": feats}
        stream.write(json.dumps(doc, ensure_ascii=False).encode("utf-8") + b"\n")
    return len(feats)


def write_vessels_geo(
    vessels: pa.Table, fmt: str, out: Sink, *, cot: CotParams | None = None
) -> int:
    """Write vessels with their last position (see :func:`vessels_with_position`)."""
    _check(fmt, VESSEL_FORMATS, "vessels")
    if fmt != "geoparquet":  # text formats: numbers rounded to their meaning
        vessels = round_meaning(vessels)
    if fmt == "geojson":
        return _vessels_geojson(vessels, out)
    if fmt in ("kml", "kmz"):
        write_kml(vessels_kml(vessels), out, kmz=fmt == "kmz")
        return int(vessels.num_rows)
    if fmt == "geoparquet":
        return write_geoparquet(vessels, _points(vessels), out)
    if fmt == "cot":
        return write_cot(vessels_cot(vessels, cot), out)
    return write_ftm(vessels_ftm(vessels), out)


def _tracks_table(tracks: Sequence[Track], names: dict[int, str]) -> tuple[pa.Table, list[Any]]:
    rows, geoms = [], []
    for tr in tracks:
        lines = [
            shapely.LineString(list(zip(s.lon, s.lat, strict=True)))
            for s in tr.segments
            if len(s.t_ms) >= 2
        ]
        geom: Any = (
            lines[0] if len(lines) == 1 else shapely.MultiLineString(lines) if lines else None
        )
        rows.append(
            {
                "mmsi": tr.mmsi,
                "name": names.get(tr.mmsi),
                "start": tr.start_ms,
                "end": tr.end_ms,
                "n_points": tr.n_points,
                "coord_times": [int(t) for s in tr.segments if len(s.t_ms) >= 2 for t in s.t_ms],
            }
        )
        geoms.append(geom)
    schema = pa.schema(
        [
            ("mmsi", pa.int64()),
            ("name", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("n_points", pa.int64()),
            ("coord_times", pa.list_(pa.int64())),
        ]
    )
    table = pa.Table.from_pylist(rows, schema=schema)
    table = table.set_column(2, "start", table.column("start").cast(TIMESTAMP))
    table = table.set_column(3, "end", table.column("end").cast(TIMESTAMP))
    times = table.column("coord_times").cast(pa.list_(TIMESTAMP))
    return table.set_column(5, "coord_times", times), geoms


def write_tracks(
    tracks: Sequence[Track], fmt: str, out: Sink, *, names: dict[int, str] | None = None
) -> int:
    """Write tracks as geojson, kml, kmz or geoparquet; tracks written."""
    _check(fmt, TRACK_FORMATS[:-1], "tracks")
    names = names or {}
    if fmt == "geojson":
        return write_tracks_geojson(tracks, out, names=names)
    if fmt in ("kml", "kmz"):
        write_kml(tracks_kml(tracks, names=names), out, kmz=fmt == "kmz")
        return len(tracks)
    table, geoms = _tracks_table(tracks, names)
    return write_geoparquet(table, geoms, out)


def vessel_names(ws: Store) -> dict[int, str]:
    """The latest broadcast name of every MMSI that has one."""
    return ws.latest_names()


def export_tracks(
    ws: Store,
    fmt: str,
    out: Sink,
    *,
    mmsis: Sequence[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    params: TrackParams | None = None,
) -> int:
    """Export the workspace's tracks (csv: MarineCadastre rows; others: one item per MMSI)."""
    _check(fmt, TRACK_FORMATS, "tracks")
    if fmt == "csv":
        from watchkeeper.publish.marinecadastre import write_marinecadastre_csv

        stop = end + timedelta(microseconds=1) if end is not None else None  # end included
        table = ws.positions(start=start, end=stop, mmsis=mmsis, order=True)
        return write_marinecadastre_csv(table, ws.read("identities"), out)
    tracks = read_tracks(ws, mmsis=mmsis, start=start, end=end, params=params)
    return write_tracks(tracks, fmt, out, names=vessel_names(ws))

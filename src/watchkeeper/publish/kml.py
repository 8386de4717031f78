"""KML 2.2 and KMZ for Google Earth: events, vessels and ``gx:Track`` tracks.

Conventions (OGC KML 2.2 and Google's ``gx`` extension 2.2): coordinates ``lon,lat``; events
as Placemarks with a ``TimeSpan`` (an open event has no ``end``), vessels as Placemarks at
their last position with a ``TimeStamp``, tracks as ``gx:Track`` (one ``when`` per
``gx:coord``) or ``gx:MultiTrack`` when the track is split at gaps, so that Google Earth's time
slider plays them. Every table column goes into ``ExtendedData``. A KMZ is a zip whose first
entry is ``doc.kml``.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import pyarrow as pa

from watchkeeper.detect.registry import REGISTRY, kml_colour
from watchkeeper.publish._sink import Sink, open_sink
from watchkeeper.publish.tracks import Track, iso_ms

__all__ = ["GX_NS", "KML_NS", "events_kml", "tracks_kml", "vessels_kml", "write_kml"]

KML_NS = "http://www.opengis.net/kml/2.2"
GX_NS = "http://www.google.com/kml/ext/2.2"
ET.register_namespace("", KML_NS)
ET.register_namespace("gx", GX_NS)

# KML colours are aabbggrr: the registry's display colours (the report's legend).
EVENT_COLOURS = {str(s.type): kml_colour(str(s.type)) for s in REGISTRY}
_TRACK_COLOUR = "ffffa000"


def _k(tag: str) -> str:
    return f"{{{KML_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = KML_NS) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return _iso(value) or ""
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def _document(name: str) -> tuple[ET.Element, ET.Element]:
    root = ET.Element(_k("kml"))
    doc = _sub(root, "Document")
    _sub(doc, "name", name)
    return root, doc


def _style(doc: ET.Element, style_id: str, colour: str, *, line: bool = False) -> None:
    style = _sub(doc, "Style")
    style.set("id", style_id)
    if line:
        ls = _sub(style, "LineStyle")
        _sub(ls, "color", colour)
        _sub(ls, "width", "2")
    icon = _sub(style, "IconStyle")
    _sub(icon, "color", colour)


def _extended(pm: ET.Element, row: dict[str, Any], skip: Iterable[str] = ()) -> None:
    ext = _sub(pm, "ExtendedData")
    for key, value in row.items():
        if key in skip:
            continue
        data = _sub(ext, "Data")
        data.set("name", key)
        _sub(data, "value", _text(value))


def _point(pm: ET.Element, lon: float, lat: float) -> None:
    _sub(_sub(pm, "Point"), "coordinates", f"{lon!r},{lat!r}")


def _serialise(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def events_kml(events: pa.Table, *, name: str = "watchkeeper events") -> bytes:
    """Events (EVENTS columns) as KML Placemarks with a TimeSpan; rows without lat/lon skipped."""
    root, doc = _document(name)
    for kind, colour in EVENT_COLOURS.items():
        _style(doc, kind, colour)
    for row in events.to_pylist():
        if row.get("lat") is None or row.get("lon") is None:
            continue
        pm = _sub(doc, "Placemark")
        pm.set("id", f"event-{row['event_id']}")
        other = f" with {row['other_mmsi']}" if row.get("other_mmsi") is not None else ""
        _sub(pm, "name", f"{row['type']} {row['mmsi']}{other}")
        _sub(pm, "styleUrl", f"#{row['type']}")
        span = _sub(pm, "TimeSpan")
        _sub(span, "begin", _iso(row["start"]))
        if row.get("end") is not None:
            _sub(span, "end", _iso(row["end"]))
        _extended(pm, row, skip=("lat", "lon"))
        _point(pm, row["lon"], row["lat"])
    return _serialise(root)


def vessels_kml(vessels: pa.Table, *, name: str = "watchkeeper vessels") -> bytes:
    """Vessels with ``lat, lon, ts`` (last position) as Placemarks, highest risk first."""
    root, doc = _document(name)
    for level, colour in (("high", "ff0000ff"), ("medium", "ff00a5ff"), ("low", "ff00c000")):
        _style(doc, f"risk-{level}", colour)
    for row in vessels.to_pylist():
        if row.get("lat") is None or row.get("lon") is None:
            continue
        pm = _sub(doc, "Placemark")
        pm.set("id", f"MMSI-{row['mmsi']}")
        _sub(pm, "name", row.get("name") or str(row["mmsi"]))
        risk = row.get("risk") or 0.0
        level = "high" if risk >= 50 else "medium" if risk >= 20 else "low"
        _sub(pm, "styleUrl", f"#risk-{level}")
        _sub(_sub(pm, "TimeStamp"), "when", _iso(row.get("ts")))
        _extended(pm, row, skip=("lat", "lon", "ts"))
        _point(pm, row["lon"], row["lat"])
    return _serialise(root)


def _gx_track(parent: ET.Element, seg_t: Sequence[int], lats: Any, lons: Any) -> None:
    track = _sub(parent, "Track", ns=GX_NS)
    for t in seg_t:
        _sub(track, "when", iso_ms(t))
    for lat, lon in zip(lats, lons, strict=True):
        _sub(track, "coord", f"{float(lon)!r} {float(lat)!r} 0", ns=GX_NS)


def tracks_kml(
    tracks: Sequence[Track],
    *,
    names: dict[int, str] | None = None,
    name: str = "watchkeeper tracks",
) -> bytes:
    """Tracks as ``gx:Track`` Placemarks (``gx:MultiTrack`` when split at gaps)."""
    root, doc = _document(name)
    _style(doc, "track", _TRACK_COLOUR, line=True)
    for tr in tracks:
        pm = _sub(doc, "Placemark")
        pm.set("id", f"MMSI-{tr.mmsi}")
        _sub(pm, "name", (names or {}).get(tr.mmsi) or str(tr.mmsi))
        _sub(pm, "styleUrl", "#track")
        _extended(pm, {"mmsi": tr.mmsi, "n_points": tr.n_points})
        parent = _sub(pm, "MultiTrack", ns=GX_NS) if len(tr.segments) > 1 else pm
        for seg in tr.segments:
            _gx_track(parent, [int(t) for t in seg.t_ms], seg.lat, seg.lon)
    return _serialise(root)


def write_kml(document: bytes, out: Sink, *, kmz: bool = False) -> int:
    """Write a KML document, or a KMZ (zip with ``doc.kml``) when ``kmz``; bytes written."""
    with open_sink(out) as stream:
        if not kmz:
            stream.write(document)
            return len(document)
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("doc.kml", document)
    return len(document)

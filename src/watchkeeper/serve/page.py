"""The common operational picture: the web page at ``/`` and its static assets.

The page (``static/index.html`` and ``static/cop.js``) is MapLibre GL JS over an offline
basemap: every file it loads comes from this router, so no request leaves the machine. The
vendored files under ``static/vendor/`` are committed with their licences (provenance in
``static/vendor/README.md``), so the page works on a machine without Node.

Two assets are derived here rather than stored twice:

- ``/static/land.geojson``: the land polygons of world-atlas's ``land-50m.json`` (Natural
  Earth 1:50m, TopoJSON), decoded to GeoJSON once per process (:func:`topojson_features`).
- ``/static/event-types.json``: each event type's display colour from the detector registry,
  so the map, the report and the KML export colour an event type alike.

The page itself needs no key; it asks for one (or reads ``#key=...``), keeps it in
``sessionStorage`` and sends it as ``Authorization: Bearer`` on every API call (no cookies).
What a partner sees is decided by the API, never by the page.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

__all__ = ["CSP", "STATIC_DIR", "event_types", "land_geojson", "router", "topojson_features"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
_LAND = STATIC_DIR / "vendor" / "world-atlas" / "land-50m.json"

#: Browser-enforced offline rule: scripts, styles, data and workers from this origin only
#: (MapLibre starts its worker from a ``blob:`` URL and draws sprites from ``data:``/``blob:``).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
    "child-src blob:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
# 3 decimals of a degree is ~110 m: finer than the 1:50m source's own quantisation step
# (its TopoJSON transform scales to 0.0036 x 0.0017 degrees).
_DECIMALS = 3

router = APIRouter(include_in_schema=False)


def _arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """The topology's arcs as lon/lat points (delta-decoded when quantised)."""
    transform = topology.get("transform")
    out: list[list[tuple[float, float]]] = []
    for arc in topology["arcs"]:
        if transform is None:
            out.append([(float(p[0]), float(p[1])) for p in arc])
            continue
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        x = y = 0
        points = []
        for p in arc:
            x, y = x + p[0], y + p[1]
            points.append((round(x * sx + tx, _DECIMALS), round(y * sy + ty, _DECIMALS)))
        out.append(points)
    return out


def _ring(indices: Sequence[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    """One closed ring from arc indices (``~i`` = arc ``i`` reversed; shared ends kept once)."""
    ring: list[list[float]] = []
    for i in indices:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        start = 1 if ring else 0
        ring.extend([x, y] for x, y in points[start:])
    return ring


def _geometry(geom: dict[str, Any], arcs: list[list[tuple[float, float]]]) -> dict[str, Any]:
    """A TopoJSON (Multi)Polygon as a GeoJSON geometry."""
    kind = geom["type"]
    if kind == "Polygon":
        return {"type": kind, "coordinates": [_ring(r, arcs) for r in geom["arcs"]]}
    if kind == "MultiPolygon":
        polys = [[_ring(r, arcs) for r in poly] for poly in geom["arcs"]]
        return {"type": kind, "coordinates": polys}
    raise ValueError(f"unsupported TopoJSON geometry {kind!r} (land has polygons only)")


def _leaves(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The geometries of a TopoJSON object, GeometryCollections flattened."""
    if obj.get("type") == "GeometryCollection":
        for child in obj.get("geometries", []):
            yield from _leaves(child)
    elif obj.get("type") is not None:
        yield obj


def topojson_features(topology: dict[str, Any], name: str) -> dict[str, Any]:
    """Object ``name`` of a TopoJSON polygon topology as a GeoJSON FeatureCollection.

    >>> topo = {"type": "Topology", "arcs": [[[0, 0], [1, 0], [1, 1]], [[1, 1], [0, 0]]],
    ...         "objects": {"land": {"type": "Polygon", "arcs": [[0, 1]]}}}
    >>> topojson_features(topo, "land")["features"][0]["geometry"]["coordinates"]
    [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]
    """
    arcs = _arcs(topology)
    features = [
        {"type": "Feature", "properties": {}, "geometry": _geometry(g, arcs)}
        for g in _leaves(topology["objects"][name])
        if g.get("arcs")
    ]
    return {"type": "FeatureCollection", "features": features}


@functools.cache
def land_geojson() -> bytes:
    """The vendored 1:50m land as GeoJSON bytes (decoded once per process)."""
    topology = json.loads(_LAND.read_text(encoding="utf-8"))
    return json.dumps(topojson_features(topology, "land"), separators=(",", ":")).encode()


def event_types() -> list[dict[str, str]]:
    """Every event type with its display colour, in the registry's order."""
    from watchkeeper.detect.registry import REGISTRY

    return [{"type": str(s.type), "colour": s.colour, "docs": s.docs} for s in REGISTRY]


@router.get("/", response_class=HTMLResponse)
def page() -> Response:
    """The common operational picture (static HTML; the page asks for a key)."""
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers={**_HEADERS, "Cache-Control": "no-cache"})


@router.get("/static/land.geojson")
def land() -> Response:
    """Offline coastlines and land (Natural Earth 1:50m via world-atlas)."""
    return Response(land_geojson(), media_type=_MEDIA[".geojson"], headers=_HEADERS)


@router.get("/static/event-types.json")
def types() -> Response:
    """Event types and their colours (from the detector registry)."""
    body = json.dumps(event_types()).encode()
    return Response(body, media_type=_MEDIA[".json"], headers=_HEADERS)


@router.get("/static/{path:path}")
def static(path: str) -> Response:
    """A file under ``static/`` (404 for anything outside it or unknown)."""
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        raise HTTPException(status_code=404, detail=f"no static file {path!r}")
    media = _MEDIA.get(target.suffix.lower(), "application/octet-stream")
    return FileResponse(target, media_type=media, headers=_HEADERS)

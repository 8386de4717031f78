"""Inline SVG for the report: the map, time-series plots and the event timeline.

Pure functions from plain data to SVG text: no JavaScript, no fonts or images fetched. The map
is an equirectangular projection scaled by the cosine of the mid latitude (true shape at the
scale of a case), over the offline land layer of :mod:`.land`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import shapely

from watchkeeper.detect.registry import REGISTRY
from watchkeeper.publish.report.land import land_png_uri
from watchkeeper.publish.tracks import Track, iso_ms

__all__ = [
    "EVENT_COLOURS",
    "TRACK_COLOURS",
    "MapBox",
    "inset_svg",
    "line_plot",
    "map_svg",
    "timeline_svg",
]

#: Event colours by type: the registry's display colours (one legend for every output).
EVENT_COLOURS = {str(s.type): s.colour for s in REGISTRY}
TRACK_COLOURS = ("#1f4e9c", "#c0392b", "#16803c", "#7d3c98", "#b9770e", "#117a8b")


@dataclass(frozen=True)
class MapBox:
    """The map's extent (degrees) and size (pixels)."""

    west: float
    south: float
    east: float
    north: float
    width: int
    height: int

    @classmethod
    def around(
        cls, lons: Sequence[float], lats: Sequence[float], width: int = 900, min_deg: float = 0.5
    ) -> MapBox:
        """A box around the points with a 10 % margin, at least ``min_deg`` tall, landscape."""
        lo_w, lo_e, la_s, la_n = min(lons), max(lons), min(lats), max(lats)
        mid = (la_s + la_n) / 2
        k = max(math.cos(math.radians(mid)), 0.1)
        span_lat = max(la_n - la_s, min_deg, (lo_e - lo_w) * k / 1.8) * 1.2
        # at most 0.8 times as tall as wide: a north-south voyage widens the box instead
        span_lon = max((lo_e - lo_w) * 1.2, 1.2 * min_deg / k, span_lat / (k * 0.8))
        cx, cy = (lo_w + lo_e) / 2, mid
        w, s = cx - span_lon / 2, max(cy - span_lat / 2, -85.0)
        e, n = cx + span_lon / 2, min(cy + span_lat / 2, 85.0)
        height = round(width * (n - s) / ((e - w) * k))
        return cls(w, s, e, n, width, max(min(height, 2 * width), 200))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """Pixel of a point."""
        x = (lon - self.west) / (self.east - self.west) * self.width
        y = (self.north - lat) / (self.north - self.south) * self.height
        return x, y


def _polyline(points: list[tuple[float, float]], colour: str, extra: str = "") -> str:
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline points="{pts}" fill="none" stroke="{colour}" {extra}/>'


def _line_or_dot(points: list[tuple[float, float]], colour: str) -> list[str]:
    """A line through ``points``; a dot for a lone one (a value reported once is data too)."""
    if len(points) > 1:
        return [_polyline(points, colour)]
    if points:
        x, y = points[0]
        return [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>']
    return []


def _graticule(box: MapBox) -> list[str]:
    step = next(s for s in (0.1, 0.25, 0.5, 1, 2, 5, 10, 20) if (box.east - box.west) / s <= 8)
    out = []
    lon = math.ceil(box.west / step) * step
    while lon < box.east:
        x, _ = box.xy(lon, box.north)
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{box.height}" class="grid"/>')
        out.append(f'<text x="{x + 2:.1f}" y="{box.height - 4}" class="tick">{lon:.4g}°E</text>')
        lon += step
    lat = math.ceil(box.south / step) * step
    while lat < box.north:
        _, y = box.xy(box.west, lat)
        out.append(f'<line x1="0" y1="{y:.1f}" x2="{box.width}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="3" y="{y - 2:.1f}" class="tick">{lat:.4g}°N</text>')
        lat += step
    return out


def map_svg(
    box: MapBox,
    tracks: Sequence[Track],
    events: Sequence[dict[str, Any]],
    labels: dict[int, str],
    *,
    places: Sequence[dict[str, Any]] = (),
    zones: Sequence[tuple[str, Any]] = (),
    areas: Sequence[tuple[str, list[tuple[float, float]]]] = (),
) -> str:
    """The case map: land, zones and places inside it, tracks (dashed across gaps),
    numbered event markers, a scale bar."""
    uri = land_png_uri(box.west, box.south, box.east, box.north, box.width, box.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="map" width="{box.width}" '
        f'height="{box.height}" viewBox="0 0 {box.width} {box.height}" role="img" '
        'aria-label="map of tracks and events">',
        f'<image href="{uri}" x="0" y="0" width="{box.width}" height="{box.height}" '
        'preserveAspectRatio="none"/>',
        *_graticule(box),
        *_zones(box, zones),
        *_places(box, places),
        *_areas(box, areas),
    ]
    for i, tr in enumerate(tracks):
        colour = TRACK_COLOURS[i % len(TRACK_COLOURS)]
        ends: list[tuple[float, float]] = []
        for seg in tr.segments:
            pts = [box.xy(float(x), float(y)) for x, y in zip(seg.lon, seg.lat, strict=True)]
            if ends:
                parts.append(_polyline([ends[-1], pts[0]], colour, 'stroke-dasharray="4 4"'))
            parts.append(_polyline(pts, colour, 'stroke-width="1.6" class="track"'))
            ends.append(pts[-1])
        x, y = ends[-1]
        parts.append(_label(labels.get(tr.mmsi, str(tr.mmsi)), x, y, box, colour))
    parts += _markers(box, events)
    parts += _scale_bar(box)
    parts.append("</svg>")
    return "\n".join(parts)


def _zones(box: MapBox, zones: Sequence[tuple[str, Any]]) -> list[str]:
    """Zone outlines clipped to the map, hatched red, named at their first inside vertex."""
    frame = shapely.box(box.west, box.south, box.east, box.north)
    out = []
    for name, geom in zones:
        part = geom.intersection(frame) if geom is not None else None
        if part is None or part.is_empty:
            continue
        polys = getattr(part, "geoms", [part])
        for poly in (p for p in polys if p.geom_type == "Polygon"):
            pts = " ".join(
                f"{x:.1f},{y:.1f}"
                for x, y in (box.xy(lon, lat) for lon, lat in poly.exterior.coords)
            )
            out.append(
                f'<polygon points="{pts}" fill="#c0392b" fill-opacity="0.06" stroke="#c0392b" '
                'stroke-dasharray="6 3" stroke-width="1"/>'
            )
        x, y = box.xy(*part.representative_point().coords[0])
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" class="zone">{escape(name)}</text>')
    return out


#: One vessel's piece of track in a close-up: colour, name, (t ms, lon, lat) points.
Piece = tuple[str, str, list[tuple[int, float, float]]]


def inset_svg(
    box: MapBox, pieces: Sequence[Piece], marker: tuple[float, float, int, str], title: str
) -> str:
    """A close-up map of one event: its vessels' tracks around it with UTC times along them
    (about five a track, none written over another), its numbered marker and a scale bar."""
    uri = land_png_uri(box.west, box.south, box.east, box.north, box.width, box.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="inset" width="{box.width}" '
        f'height="{box.height}" viewBox="0 0 {box.width} {box.height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<image href="{uri}" x="0" y="0" width="{box.width}" height="{box.height}" '
        'preserveAspectRatio="none"/>',
    ]
    taken: list[tuple[float, float]] = []
    for colour, name, pts in pieces:
        xys = [box.xy(lon, lat) for _, lon, lat in pts]
        parts += _line_or_dot(xys, colour)
        step = max(1, len(pts) // 5)
        for (t, _, _), (x, y) in list(zip(pts, xys, strict=True))[::step]:
            if all(math.hypot(x - a, y - b) >= 34 for a, b in taken):
                taken.append((x, y))
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{colour}"/>'
                    f'<text x="{x + 4:.1f}" y="{y - 3:.1f}" class="evno" fill="{colour}">'
                    f"{iso_ms(t)[11:16]}</text>"
                )
        if xys:
            parts.append(_label(name, *xys[-1], box, colour))
    lon, lat, n, colour = marker
    x, y = box.xy(lon, lat)
    parts.append(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" stroke="#fff"/>'
        f'<text x="{x + 7:.1f}" y="{y - 5:.1f}" class="evno">{n}</text>'
    )
    parts += _scale_bar(box)
    parts.append("</svg>")
    return "\n".join(parts)


def _areas(box: MapBox, areas: Sequence[tuple[str, list[tuple[float, float]]]]) -> list[str]:
    """Outlines (lon, lat rings) with a label: where a dark vessel could have been."""
    out = []
    for label, ring in areas:
        xys = [box.xy(lon, lat) for lon, lat in ring]
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in xys)
        out.append(
            f'<polygon points="{pts}" fill="#7d3c98" fill-opacity="0.07" stroke="#7d3c98" '
            f'stroke-dasharray="2 3" stroke-width="1.2"><title>{escape(label)}</title></polygon>'
        )
    return out


#: Places drawn at most (ports first): enough for a harbour, not a blur on a regional map.
_MAX_PLACES = 150


def _places(box: MapBox, places: Sequence[dict[str, Any]]) -> list[str]:
    """Ports (squares, named) and anchorages (small dots) inside the map."""
    inside = [
        p
        for p in places
        if p.get("lat") is not None
        and box.south <= p["lat"] <= box.north
        and box.west <= p["lon"] <= box.east
    ]
    inside.sort(key=lambda p: p.get("kind") != "port")
    out = []
    labelled: list[tuple[float, float, float]] = []  # x, y, width of each name written
    for p in inside[:_MAX_PLACES]:
        x, y = box.xy(p["lon"], p["lat"])
        name = escape(str(p.get("name")))
        if p.get("kind") == "port":
            out.append(
                f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="#555">'
                f"<title>{name}</title></rect>"
            )
            width = 6.0 * len(str(p.get("name")))  # 10 px text
            if not any(
                abs(y - ly) < 11 and x + 5 < lx + lw + 4 and lx < x + 5 + width + 4
                for lx, ly, lw in labelled
            ):  # a name that would overwrite another is left to the tooltip
                labelled.append((x + 5, y, width))
                out.append(f'<text x="{x + 5:.1f}" y="{y + 4:.1f}" class="place">{name}</text>')
        else:
            dot = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8" fill="#777">'
            out.append(f"{dot}<title>{name}</title></circle>")
    return out


def _label(text: str, x: float, y: float, box: MapBox, colour: str) -> str:
    """A track's name beside its last point, turned to the left near the right edge and kept
    inside the map (never clipped)."""
    width = 7.5 * len(text)  # 12 px bold: about 7.5 px a character
    y = min(max(y, 14.0), box.height - 4.0)
    at = f'y="{y:.1f}" class="label" fill="{colour}"'
    if x + 5 + width > box.width:
        return f'<text x="{max(x - 5, width):.1f}" {at} text-anchor="end">{escape(text)}</text>'
    return f'<text x="{max(x + 5, 2):.1f}" {at}>{escape(text)}</text>'


#: Markers closer than this (px) are moved apart, around a circle, with a leader line.
_MARKER_GAP = 14.0


def _markers(box: MapBox, events: Sequence[dict[str, Any]]) -> list[str]:
    """Numbered event markers that never hide each other: a marker that would land on one
    already drawn goes to the next free place on rings around its position, joined to it
    by a thin line (the number and the colour stay readable; the line shows where it is)."""
    placed: list[tuple[float, float]] = []
    out = []
    for n, ev in enumerate(events, start=1):
        if ev.get("lat") is None or ev.get("lon") is None:
            continue
        x0, y0 = box.xy(ev["lon"], ev["lat"])
        x, y = _free_spot(x0, y0, placed)
        placed.append((x, y))
        colour = EVENT_COLOURS.get(ev["type"], "#000")
        leader = ""
        if (x, y) != (x0, y0):
            leader = (
                f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                f'stroke="{colour}" stroke-width="1"/>'
                f'<circle cx="{x0:.1f}" cy="{y0:.1f}" r="2" fill="{colour}"/>'
            )
        tx = x + 7 if x + 20 < box.width else x - 16
        out.append(
            f'<g class="event"><title>#{n} {escape(ev["type"])} {ev["mmsi"]}</title>{leader}'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" stroke="#fff"/>'
            f'<text x="{tx:.1f}" y="{max(y - 5, 10):.1f}" class="evno">{n}</text></g>'
        )
    return out


def _free_spot(x: float, y: float, placed: list[tuple[float, float]]) -> tuple[float, float]:
    """(x, y) if no placed marker is within ``_MARKER_GAP``, else the first free point on
    rings of growing radius around it (12 points a ring)."""

    def free(px: float, py: float) -> bool:
        return all(math.hypot(px - qx, py - qy) >= _MARKER_GAP for qx, qy in placed)

    if free(x, y):
        return x, y
    for ring in range(1, 8):
        r = ring * _MARKER_GAP * 1.2
        for k in range(12):
            a = math.radians(30 * k - 60)
            px, py = x + r * math.cos(a), y - r * math.sin(a)
            if free(px, py):
                return px, py
    return x, y


def _scale_bar(box: MapBox) -> list[str]:
    """A scale bar of a round length (about a fifth of the map's width) at the bottom left,
    measured along the map's middle latitude."""
    mid = (box.north + box.south) / 2
    km_per_px = (box.east - box.west) * 111.32 * math.cos(math.radians(mid)) / box.width
    target = km_per_px * box.width / 5
    length = max(
        (v for v in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000) if v <= target),
        default=0.5,
    )
    px = length / km_per_px
    x0, y = 12.0, box.height - 14.0
    text = f"{length:g} km"
    return [
        f'<g class="scale"><rect x="{x0 - 4}" y="{y - 16}" width="{px + 8:.1f}" height="24" '
        'fill="#fff" fill-opacity="0.75"/>'
        f'<line x1="{x0}" y1="{y}" x2="{x0 + px:.1f}" y2="{y}" stroke="#222" stroke-width="2"/>'
        f'<line x1="{x0}" y1="{y - 4}" x2="{x0}" y2="{y + 4}" stroke="#222"/>'
        f'<line x1="{x0 + px:.1f}" y1="{y - 4}" x2="{x0 + px:.1f}" y2="{y + 4}" stroke="#222"/>'
        f'<text x="{x0 + px / 2:.1f}" y="{y - 5}" class="tick" text-anchor="middle">{text}</text>'
        "</g>"
    ]


#: Tick steps of a time axis (ms): the smallest that gives at most 8 ticks is used.
_STEPS = [m * 60_000 for m in (1, 2, 5, 10, 15, 30)] + [
    h * 3_600_000 for h in (1, 2, 3, 6, 12, 24, 48, 168, 336, 720)
]


def _time_axis(t0: int, t1: int, x0: float, x1: float, y: float) -> list[str]:
    """Vertical grid lines with UTC labels: dates for steps of a day or more, hours within a
    day (the first label and each midnight with the date)."""
    step = next((s for s in _STEPS if (t1 - t0) / s <= 8), _STEPS[-1])
    out = []
    t = (t0 // step + 1) * step
    first = True
    while t < t1:
        x = x0 + (t - t0) / (t1 - t0) * (x1 - x0)
        stamp = iso_ms(t)  # YYYY-MM-DDTHH:MM:SSZ
        if step >= 86_400_000 or stamp[11:16] == "00:00":
            label = stamp[:10]
        else:
            label = f"{stamp[:10]} {stamp[11:16]}" if first else stamp[11:16]
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{y}" class="grid"/>')
        out.append(f'<text x="{x + 2:.1f}" y="{y + 12}" class="tick">{label}</text>')
        t += step
        first = False
    out.append(f'<text x="{x1 - 24:.1f}" y="{y + 12}" class="tick">UTC</text>')
    return out


def _spans(
    spans: Sequence[tuple[int, int, str, str]],
    t_range: tuple[int, int],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> list[str]:
    """Shaded time intervals (at least 2 px wide, so an instant shows), titled."""
    (t0, t1), (x0, x1), (y0, y1) = t_range, x_range, y_range
    out = []
    for a, b, colour, label in spans:
        xa = x0 + (max(a, t0) - t0) / (t1 - t0) * (x1 - x0)
        xb = x0 + (min(b, t1) - t0) / (t1 - t0) * (x1 - x0)
        if xb < x0 or xa > x1:
            continue
        out.append(
            f'<rect x="{xa:.1f}" y="{y0}" width="{max(xb - xa, 2.0):.1f}" height="{y1 - y0}" '
            f'fill="{colour}" fill-opacity="0.15"><title>{escape(label)}</title></rect>'
        )
    return out


def line_plot(
    series: Sequence[tuple[str, Sequence[int], Sequence[float]]],
    *,
    title: str,
    unit: str,
    t_range: tuple[int, int],
    step: bool = False,
    width: int = 900,
    height: int = 160,
    spans: Sequence[tuple[int, int, str, str]] = (),
) -> str:
    """A time-series plot; ``series`` is (label, times ms, values); NaN breaks the line.
    ``spans`` (start ms, end ms, colour, label) are shaded behind it: the case's events."""
    t0, t1 = t_range[0], max(t_range[1], t_range[0] + 1)
    values = [v for _, _, vs in series for v in vs if not math.isnan(v)]
    vmax = max([*values, 1.0]) * 1.1
    left, bottom = 40, height - 18
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">',
        *_spans(spans, (t0, t1), (left, width - 5), (20, bottom)),
        f'<text x="{left}" y="12" class="title">{escape(title)} ({escape(unit)})</text>',
        f'<text x="2" y="{bottom}" class="tick">0</text>'
        f'<text x="2" y="24" class="tick">{vmax:.3g}</text>',
        *_time_axis(t0, t1, left, width - 5, bottom),
    ]
    for i, (label, ts, vs) in enumerate(series):
        colour = TRACK_COLOURS[i % len(TRACK_COLOURS)]
        pts: list[tuple[float, float]] = []
        for t, v in zip(ts, vs, strict=True):
            if math.isnan(v):
                parts += _line_or_dot(pts, colour)
                pts = []
                continue
            x = left + (t - t0) / (t1 - t0) * (width - 5 - left)
            y = bottom - v / vmax * (bottom - 20)
            if step and pts:
                pts.append((x, pts[-1][1]))
            pts.append((x, y))
        parts += _line_or_dot(pts, colour)
        parts.append(
            f'<text x="{width - 200}" y="{14 + 12 * i}" class="tick" fill="{colour}">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def timeline_svg(
    events: Sequence[dict[str, Any]], t_range: tuple[int, int], width: int = 900
) -> str:
    """Events as bars on one row per type, numbered as in the event table and on the map."""
    kinds = sorted({e["type"] for e in events})
    t0, t1 = t_range[0], max(t_range[1], t_range[0] + 1)
    left, row = 110, 18
    height = row * len(kinds) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{width}" '
        f'height="{height}" role="img" aria-label="timeline of events">',
        *_time_axis(t0, t1, left, width - 5, height - 18),
    ]
    scale = (width - 5 - left) / (t1 - t0)
    for i, kind in enumerate(kinds):
        parts.append(f'<text x="2" y="{row * i + 14}" class="tick">{escape(kind)}</text>')
    for n, ev in enumerate(events, start=1):
        start = _ms(ev["start"])
        end = _ms(ev["end"]) if ev.get("end") is not None else t1
        x = left + (np.clip(start, t0, t1) - t0) * scale
        w = max((np.clip(end, t0, t1) - np.clip(start, t0, t1)) * scale, 3.0)
        y = row * kinds.index(ev["type"]) + 3
        colour = EVENT_COLOURS.get(ev["type"], "#000")
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 6}" fill="{colour}">'
            f"<title>#{n} {escape(ev['type'])} {ev['mmsi']}</title></rect>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _ms(value: Any) -> int:
    return int(value.timestamp() * 1000)

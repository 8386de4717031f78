"""Where a dark vessel could have been during its silence: the reachable ellipse.

A vessel last heard at A (time tA) and next heard at B (tB), sailing at most ``v``, was at
every moment somewhere it could reach from A and still get to B in time: inside the ellipse
with foci A and B whose points have distances to A and B summing to at most ``v (tB - tA)``.
A meeting the dark-STS detector proposes lies inside it (the detector's own rule, with the
same top speed); drawn on the map, it shows a committee what the silence allows and what it
does not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from watchkeeper.publish.tracks import Track
from watchkeeper.tracks.geo import M_PER_NM, bearing_deg, haversine_m, offset_deg

__all__ = ["dark_areas", "reach_ellipse", "silence_of"]

#: The dark-STS detector's top speed of a laden tanker (detect/dark_sts.py), when an event
#: does not record its own.
DEFAULT_KN = 15.0


def reach_ellipse(
    a: tuple[float, float], b: tuple[float, float], hours: float, max_kn: float, n: int = 72
) -> list[tuple[float, float]] | None:
    """The ring (lon, lat) of points reachable between A and B (lon, lat) in ``hours`` at
    ``max_kn``; None when B cannot be reached in time at that speed."""
    reach_km = max_kn * M_PER_NM / 1000.0 * hours
    gap_km = float(haversine_m(a[1], a[0], b[1], b[0])) / 1000.0
    if reach_km <= gap_km:
        return None
    mid_lat, mid_lon = (a[1] + b[1]) / 2, (a[0] + b[0]) / 2
    # the ellipse in a local plane (m east, m north) around the midpoint of A and B
    angle = math.radians(90.0 - float(bearing_deg(mid_lat, mid_lon, a[1], a[0])))
    major = reach_km * 500.0  # half the reach, in metres
    minor = math.sqrt(max(major**2 - (gap_km * 500.0) ** 2, 0.0))
    t = np.linspace(0, 2 * math.pi, n + 1)
    x = major * np.cos(t) * math.cos(angle) - minor * np.sin(t) * math.sin(angle)
    y = major * np.cos(t) * math.sin(angle) + minor * np.sin(t) * math.cos(angle)
    lat, lon = offset_deg(mid_lat, mid_lon, x, y)
    return [(float(o), float(p)) for o, p in zip(lon, lat, strict=True)]


def silence_of(
    tracks: Sequence[Track], mmsi: int, start_ms: int, end_ms: int
) -> tuple[tuple[float, float, int], tuple[float, float, int]] | None:
    """The vessel's last position at or before ``start_ms`` and first at or after
    ``end_ms`` (lon, lat, t ms) from the report's tracks; None if either is missing."""
    t_all: list[Any] = []
    for tr in (t for t in tracks if t.mmsi == mmsi):
        for seg in tr.segments:
            t_all += zip(seg.t_ms.tolist(), seg.lon.tolist(), seg.lat.tolist(), strict=True)
    before = [p for p in t_all if p[0] <= start_ms]
    after = [p for p in t_all if p[0] >= end_ms]
    if not before or not after:
        return None
    (ta, xa, ya), (tb, xb, yb) = max(before), min(after)
    return (xa, ya, int(ta)), (xb, yb, int(tb))


def dark_areas(
    tracks: Sequence[Track], events: Sequence[dict[str, Any]]
) -> list[tuple[str, list[tuple[float, float]]]]:
    """For each dark-STS event, the reachable ellipse of each dark side during the event
    (both sides of a both-dark meeting, the partner of a loitering vessel), with a label."""
    out = []
    for n, ev in enumerate(events, start=1):
        if ev["type"] != "dark_sts":
            continue
        d = json.loads(ev.get("details") or "{}")
        kn = float((d.get("params") or {}).get("max_speed_kn") or DEFAULT_KN)
        dark = (
            [ev["mmsi"], ev.get("other_mmsi")]
            if d.get("kind") == "both_dark"
            else [ev.get("other_mmsi")]
        )
        start = int(ev["start"].timestamp() * 1000)
        end = int((ev.get("end") or ev["start"]).timestamp() * 1000)
        for m in (x for x in dark if x is not None):
            silence = silence_of(tracks, m, start, end)
            if silence is None:
                continue
            (xa, ya, ta), (xb, yb, tb) = silence
            ring = reach_ellipse((xa, ya), (xb, yb), (tb - ta) / 3.6e6, kn)
            if ring is not None:
                hours = (tb - ta) / 3.6e6
                label = f"#{n}: where {m} could be while dark ({hours:.1f} h at up to {kn:g} kn)"
                out.append((label, ring))
    return out

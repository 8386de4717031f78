"""Zone entries: a vessel entering a configured area of concern (DESIGN §3, ``zone_entry``).

Definition. For each zone (built-in: North Korean waters and the STS hotspots reported by
states, see :mod:`watchkeeper.context.zones`; plus the user's GeoJSON polygons), an entry is a
position inside the zone whose previous position on the same track was outside. The stay ends
at the first position outside again (``end`` null while still inside); stays separated by
less than ``min_outside_h`` outside are one (a ship sailing along the boundary). A track that
starts inside did not enter as far as the data shows: no event (in a window of a longer run,
such a stay is a continuation that only extends an entry an earlier window saw: see
:func:`detect_zone_entries`). Entries of one vessel into
several overlapping zones at the same instant are one event listing every zone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import shapely

from watchkeeper.context.zones import Zone
from watchkeeper.detect._track import Cols, cols, runs
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError

__all__ = ["ZoneParams", "detect_zone_entries"]


@dataclass(frozen=True)
class ZoneParams:
    """Thresholds of the zone-entry detector."""

    min_outside_h: float = 1.0  # shorter excursions outside do not end a stay

    def __post_init__(self) -> None:
        if self.min_outside_h < 0:
            raise ConfigError("min_outside_h must be >= 0")


@dataclass(frozen=True)
class _Entry:
    mmsi: int
    start: float
    end: float | None
    lat: float
    lon: float
    zone: Zone
    track: int
    continued: bool = False  # the track starts inside: the stay goes on from an earlier window


def _stays(c: Cols, inside: np.ndarray, p: ZoneParams) -> list[tuple[int, int]]:
    """(first, last) index of each stay inside, short excursions outside merged."""
    s, e = runs(inside, c.track)
    out: list[tuple[int, int]] = []
    for a, b in zip(s.tolist(), e.tolist(), strict=True):
        if out and c.track[out[-1][0]] == c.track[a]:
            prev_a, prev_b = out[-1]
            if c.t[a] - c.t[prev_b] < p.min_outside_h * 3600.0:
                out[-1] = (prev_a, b)
                continue
        out.append((a, b))
    return out


def _entries(c: Cols, zone: Zone, p: ZoneParams, continued: bool) -> list[_Entry]:
    inside = np.asarray(shapely.contains_xy(zone.geometry, c.lon, c.lat), dtype=bool)
    if not inside.any():
        return []
    out = []
    for a, b in _stays(c, inside, p):
        starts_inside = a == 0 or c.track[a - 1] != c.track[a]
        if starts_inside and not continued:
            continue  # the track starts inside: no entry seen
        nxt = b + 1 if b + 1 < len(c.t) and c.track[b + 1] == c.track[a] else None
        end = None if nxt is None else float(c.t[nxt])
        out.append(
            _Entry(
                int(c.mmsi[a]),
                float(c.t[a]),
                end,
                c.lat[a],
                c.lon[a],
                zone,
                int(c.track[a]),
                starts_inside,
            )
        )
    return out


def _event(group: list[_Entry], p: ZoneParams) -> dict[str, Any]:
    first = group[0]
    ends = [g.end for g in group]
    top = max(group, key=lambda g: g.zone.risk)
    return event(
        "zone_entry",
        first.mmsi,
        to_datetime(first.start),
        None if any(x is None for x in ends) else to_datetime(max(x for x in ends if x)),
        first.lat,
        first.lon,
        confidence=0.9,
        risk=top.zone.risk,
        details={
            "zone": top.zone.name,
            "zones": [g.zone.name for g in group],
            "sources": [g.zone.source for g in group],
            "track_id": first.track,
            "params": asdict(p),
        }
        | ({"continued": True} if first.continued else {}),
    )


def detect_zone_entries(
    tracks: pa.Table,
    zones: list[Zone],
    *,
    params: ZoneParams = ZoneParams(),
    continued: bool = False,
) -> pa.Table:
    """``zone_entry`` events of ``tracks`` (sorted by track_id and ts) into ``zones``.

    ``continued``: the tracks are a window of a longer run; stays of tracks that start inside
    are returned too, with ``details.continued``: the stitcher uses them to extend an entry an
    earlier window saw, and drops those that extend none.
    """
    if tracks.num_rows == 0 or not zones:
        return events_table([])
    c = cols(tracks)
    groups: dict[tuple[int, float], list[_Entry]] = defaultdict(list)
    for zone in zones:
        for en in _entries(c, zone, params, continued):
            groups[(en.mmsi, en.start)].append(en)
    return events_table([_event(g, params) for _, g in sorted(groups.items())])

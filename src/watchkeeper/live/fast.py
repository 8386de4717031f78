"""Fast alerts: conditions that one received line completes, checked at each committed batch.

A zone entry is completed by the first position inside a zone; an identity change by the
report that makes a new name, IMO number, call sign or ship type stable; a draught change by
the report of the new draught; a spoofing jump by the position a ship could not have reached.
None needs the rest of the traffic, so they need not wait for the next detection run over
the whole window (seconds to tens of seconds on a busy feed): after each batch is committed
(twice a second), the vessels it may concern are picked by a cheap test on the batch alone,
and the batch detectors of those types run over *those vessels'* data in the live window
(:func:`detect_vessels`, the same plan, windows and keep rule as :mod:`.window`). The events
are therefore the ones the next full run gives: the same ids, times and details, so the full
run moves their alerts on (confirmed, closed) and never announces them again.

Which vessels a batch may concern:

- **zone entry**: a position of the batch inside a zone (a bounding-box test, then the
  polygon); an entry needs one, and zones are small, so few vessels pass.
- **identity and draught change**: a report of the batch whose name, IMO, call sign, ship
  type or draught differs from the vessel's previous report (:class:`IdentityMemory`).
- **spoofing**: a step from the vessel's previous position faster than the spoofing
  detector's ``min_jump_kn`` over more than 1 km (:class:`JumpMemory`).

The memories hold one small tuple per vessel seen. The others (gaps, loitering, encounters,
dark STS, port visits) need hours of data or other vessels' tracks and come from the
periodic run.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from watchkeeper.context.anchorages import places_of
from watchkeeper.context.zones import Zone
from watchkeeper.detect.context import DetectionContext, build_context
from watchkeeper.detect.identity_change import FIELDS, field_values
from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.plan import finish, make_plan
from watchkeeper.detect.registry import DRAUGHT_CHANGE, IDENTITY_CHANGE, SPOOFING, ZONE_ENTRY
from watchkeeper.detect.run import run_window
from watchkeeper.live.window import window_days
from watchkeeper.schema import EVENTS
from watchkeeper.store.workspace import Workspace
from watchkeeper.tracks.geo import haversine_m

__all__ = [
    "FAST_TYPES",
    "IdentityMemory",
    "JumpMemory",
    "Triggers",
    "ZoneMemory",
    "detect_vessels",
    "fast_context",
    "zone_masks",
]

#: The event types a batch can complete on its own (module docstring).
FAST_TYPES: tuple[str, ...] = tuple(
    str(s.type) for s in (ZONE_ENTRY, IDENTITY_CHANGE, DRAUGHT_CHANGE, SPOOFING)
)

#: Identity fields whose change marks a vessel for the fast check (draught: a draught change).
_ID_FIELDS = (*FIELDS, "draught_m")


def fast_context(params: DetectParams) -> DetectionContext:
    """The context the fast types need: the zones (no places, no reception map)."""
    return build_context(places_of([]), params)


def zone_masks(positions: pa.Table, zones: Sequence[Zone]) -> npt.NDArray[np.int64]:
    """For each position, a bit per zone it lies in (zone ``k``: bit ``k % 63``)."""
    lat = np.asarray(positions.column("lat").to_numpy(zero_copy_only=False), dtype=np.float64)
    lon = np.asarray(positions.column("lon").to_numpy(zero_copy_only=False), dtype=np.float64)
    mask = np.zeros(len(lat), dtype=np.int64)
    for k, z in enumerate(zones):
        x0, y0, x1, y1 = z.geometry.bounds
        idx = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if len(idx):
            inside = np.asarray(shapely.contains_xy(z.geometry, lon[idx], lat[idx]), dtype=bool)
            mask[idx[inside]] |= np.int64(1) << np.int64(k % 63)
    return mask


class ZoneMemory:
    """The zones each vessel's last position lay in, to spot a position that enters one."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        self.zones = list(zones)
        self.last: dict[int, int] = {}

    def entered(self, positions: pa.Table) -> set[int]:
        """MMSIs of ``positions`` with a position inside a zone their previous position was
        not in (or the first seen of a vessel, inside); updates the memory."""
        if positions.num_rows == 0 or not self.zones:
            return set()
        t = positions.select(["mmsi", "ts", "lat", "lon"]).sort_by(
            [("mmsi", "ascending"), ("ts", "ascending")]
        )
        mmsi = t.column("mmsi").to_numpy(zero_copy_only=False).astype(np.int64)
        mask = zone_masks(t, self.zones)
        first = np.concatenate([[True], mmsi[1:] != mmsi[:-1]])
        prev = np.concatenate([[0], mask[:-1]])
        for i in np.flatnonzero(first).tolist():
            prev[i] = self.last.get(int(mmsi[i]), 0)
        out = {int(m) for m in np.unique(mmsi[(mask & ~prev) != 0])}
        last = np.concatenate([np.flatnonzero(first)[1:] - 1, [len(mmsi) - 1]])
        self.last.update(zip(mmsi[last].tolist(), mask[last].tolist(), strict=True))
        return out


class IdentityMemory:
    """Each vessel's last identity report (normalised fields), to spot a report that differs."""

    def __init__(self) -> None:
        self.last: dict[int, tuple[object, ...]] = {}

    def changed(self, identities: pa.Table) -> set[int]:
        """MMSIs of ``identities`` (time order within a vessel) with a field that differs
        from their previous report; updates the memory. Missing values are not a change."""
        if identities.num_rows == 0:
            return set()
        t = identities.sort_by([("mmsi", "ascending"), ("ts", "ascending")])
        mmsi = t.column("mmsi").to_pylist()
        values = [
            field_values(t, f).to_pylist() if f in t.column_names else [None] * t.num_rows
            for f in _ID_FIELDS
        ]
        out: set[int] = set()
        for i, m in enumerate(mmsi):
            now = tuple(v[i] for v in values)
            before = self.last.get(m)
            if before is not None and any(
                a is not None and b is not None and a != b for a, b in zip(now, before, strict=True)
            ):
                out.add(m)
            keep = before or now
            self.last[m] = tuple(a if a is not None else b for a, b in zip(now, keep, strict=True))
        return out


class JumpMemory:
    """Each vessel's last position, to spot a step faster than a ship sails (a spoofing
    jump: the segmenter then splits its track, or the position is a detour)."""

    def __init__(self, min_jump_kn: float) -> None:
        self.min_jump_kn = min_jump_kn
        self.last: dict[int, tuple[float, float, float]] = {}  # mmsi: (epoch s, lat, lon)

    def jumped(self, positions: pa.Table) -> set[int]:
        """MMSIs of ``positions`` with a step (from their previous position) faster than
        ``min_jump_kn`` over more than 1 km (GNSS noise between close reports is not one)."""
        if positions.num_rows == 0:
            return set()
        t = positions.select(["mmsi", "ts", "lat", "lon"]).sort_by(
            [("mmsi", "ascending"), ("ts", "ascending")]
        )
        mmsi = t.column("mmsi").to_numpy(zero_copy_only=False).astype(np.int64)
        sec = pc.cast(t.column("ts"), pa.int64()).to_numpy(zero_copy_only=False) / 1000.0
        lat = np.asarray(t.column("lat").to_numpy(zero_copy_only=False), dtype=np.float64)
        lon = np.asarray(t.column("lon").to_numpy(zero_copy_only=False), dtype=np.float64)
        first = np.flatnonzero(np.concatenate([[True], mmsi[1:] != mmsi[:-1]]))
        p_t, p_lat, p_lon = np.roll(sec, 1), np.roll(lat, 1), np.roll(lon, 1)
        known = np.ones(len(mmsi), dtype=bool)
        for i in first.tolist():
            prev = self.last.get(int(mmsi[i]))
            known[i] = prev is not None
            p_t[i], p_lat[i], p_lon[i] = prev or (sec[i], lat[i], lon[i])
        km = haversine_m(p_lat, p_lon, lat, lon) / 1000.0
        hours = np.maximum(sec - p_t, 1.0) / 3600.0
        fast = known & (km > 1.0) & (km / 1.852 / hours > self.min_jump_kn)
        last = np.append(first[1:] - 1, len(mmsi) - 1)
        for i in last.tolist():
            self.last[int(mmsi[i])] = (float(sec[i]), float(lat[i]), float(lon[i]))
        return {int(m) for m in np.unique(mmsi[fast])}


class Triggers:
    """The vessels a batch may concern (module docstring), from what earlier batches showed."""

    def __init__(self, zones: Sequence[Zone], min_jump_kn: float = 30.0) -> None:
        self.zones = ZoneMemory(zones)
        self.identities = IdentityMemory()
        self.jumps = JumpMemory(min_jump_kn)

    def vessels(self, positions: pa.Table, identities: pa.Table) -> set[int]:
        """MMSIs of a batch that entered a zone, jumped, or reported a changed identity or
        draught."""
        return (
            self.zones.entered(positions)
            | self.jumps.jumped(positions)
            | self.identities.changed(identities)
        )


def detect_vessels(
    ws: Workspace,
    mmsis: Collection[int],
    params: DetectParams,
    window_h: float,
    context: DetectionContext,
    types: Collection[str] = FAST_TYPES,
    data_end: datetime | None = None,
) -> tuple[pa.Table, datetime | None]:
    """Events of ``types`` of the vessels ``mmsis`` over the live window of ``ws``, as the
    full run over the window finds them; and the data's end (``data_end``: the time of the
    store's last position when the caller knows it, saving a query)."""
    data_end = data_end or ws.last_time("positions")
    if data_end is None or not mmsis:
        return EVENTS.empty_table(), data_end
    days = window_days(ws.day_counts("positions"), data_end, window_h)
    plan = make_plan(days, data_end, params)
    chosen = sorted(mmsis)
    parts = [run_window(ws, w, context, params, mmsis=chosen, types=types) for w in plan.windows]
    events = finish(parts)
    return events.filter(pc.is_in(events.column("type"), pa.array(list(types)))), data_end

"""Fast alerts: conditions that one received line completes, checked at each committed batch.

A zone entry is completed by the first position inside a zone; an identity change by the
report that makes a new name, IMO number, call sign or ship type stable. Neither needs the
rest of the traffic, so they need not wait for the next detection run over the whole window
(seconds to tens of seconds on a busy feed): after each batch is committed (about once a
second), the vessels it may concern are picked by a cheap test on the batch alone, and the
batch detectors of those two types run over *those vessels'* data in the live window
(:func:`detect_vessels`, the same plan, windows and keep rule as :mod:`.window`). The events
are therefore the ones the next full run gives: the same ids, times and details, so the full
run moves their alerts on (confirmed, closed) and never announces them again.

Which vessels a batch may concern:

- **zone entry**: a position of the batch inside a zone (a bounding-box test, then the
  polygon); an entry needs one, and zones are small, so few vessels pass.
- **identity change**: a report of the batch whose name, IMO, call sign or ship type differs
  from the vessel's previous report (:class:`IdentityMemory`, one tuple per vessel seen).

The others (gaps, loitering, encounters, dark STS, port visits, spoofing, draught changes)
need minutes to hours of data or other vessels' tracks and come from the periodic run.
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
from watchkeeper.detect.plan import finish, keep, make_plan, with_window
from watchkeeper.detect.registry import IDENTITY_CHANGE, ZONE_ENTRY
from watchkeeper.detect.run import detect_all
from watchkeeper.live.window import window_days
from watchkeeper.schema import EVENTS
from watchkeeper.store.workspace import Workspace

__all__ = [
    "FAST_TYPES",
    "IdentityMemory",
    "Triggers",
    "ZoneMemory",
    "detect_vessels",
    "fast_context",
    "zone_masks",
]

#: The event types a batch can complete on its own (module docstring).
FAST_TYPES: tuple[str, ...] = (str(ZONE_ENTRY.type), str(IDENTITY_CHANGE.type))

_COLUMNS = ("mmsi", "ts", "lat", "lon", "sog_kn")


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
            for f in FIELDS
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


class Triggers:
    """The vessels a batch may concern (module docstring), from what earlier batches showed."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        self.zones = ZoneMemory(zones)
        self.identities = IdentityMemory()

    def vessels(self, positions: pa.Table, identities: pa.Table) -> set[int]:
        """MMSIs of a batch that entered a zone or reported a changed identity."""
        return self.zones.entered(positions) | self.identities.changed(identities)


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
    parts = []
    for w in plan.windows:
        pos = ws.positions(
            start=w.read_start, end=w.read_end, mmsis=chosen, columns=_COLUMNS, order=True
        )
        ids = ws.identities(start=w.identities_start, end=w.identities_end, mmsis=chosen)
        ev = detect_all(
            pos,
            identities=ids,
            data_start=w.read_start,
            data_end=w.data_end,
            params=params,
            context=context,
            types=types,
        )
        parts.append(with_window(ev.filter(keep(ev, w)), w))
    events = finish(parts)
    return events.filter(pc.is_in(events.column("type"), pa.array(list(types)))), data_end

"""The detection context: what every window needs besides its own positions, built once per run.

Places (the gazetteer of :mod:`watchkeeper.context.places`: shipped lists, the user's files
and the anchorages and berths learned from the data), the watched zones, and a reception map.
Crowded anchorages are learned over the whole run, not per window, so they do not depend on
how the data is windowed: each window contributes partial aggregates of its own days (per
cell and vessel: first and last stop time, sums of coordinates) and
:func:`anchorages_from_cells` applies the rule of
:func:`watchkeeper.context.anchorages.learn_anchorages` to their union. Berths (one vessel
calling again and again) merge the same way: each window's calls carry its own trip numbers,
offset by the vessel's sailing in the earlier windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyarrow as pa
import shapely

from watchkeeper.context.anchorages import (
    AnchorageParams,
    BerthCalls,
    berth_places,
    crowd_places,
    places_of,
    stop_cells,
)
from watchkeeper.context.places import gazetteer
from watchkeeper.context.ports import PlaceIndex
from watchkeeper.context.reception import ReceptionMap
from watchkeeper.context.zones import Zone, builtin_zones, load_geojson_zones
from watchkeeper.detect.params import DetectParams

__all__ = [
    "DetectionContext",
    "anchorages_from_cells",
    "build_context",
    "stop_cells",
    "zones_of",
]


def anchorages_from_cells(
    cells: Sequence[pa.Table], params: AnchorageParams, berths: Sequence[BerthCalls] = ()
) -> pa.Table:
    """Learned places (a ``PLACES`` table) from the :func:`stop_cells` and the
    :func:`~watchkeeper.context.anchorages.berth_calls` of every window's own days, in time
    order."""
    return places_of([crowd_places(cells, params), berth_places(berths, params)])


def zones_of(params: DetectParams) -> list[Zone]:
    """The built-in zones (unless turned off) and those of the user's GeoJSON files."""
    zones = builtin_zones() if params.builtin_zones else []
    for f in params.zone_files:
        zones += load_geojson_zones(Path(f))
    return zones


@dataclass(frozen=True)
class DetectionContext:
    """Places, zones and reception shared by every window of a run."""

    places: pa.Table  # PLACES rows: ports, user ports, learned anchorages
    zones: tuple[Zone, ...] = ()
    reception: ReceptionMap | None = None  # where and when AIS was heard over the whole run
    # Per window (by index): where every vessel's silences began (ais_gap.silences), for the
    # gap detector's "silent together" count when a window is split in MMSI groups.
    silences: tuple[pa.Table, ...] = ()

    @cached_property
    def place_index(self) -> PlaceIndex:
        """Nearest-place lookups over :attr:`places`."""
        return PlaceIndex(self.places)

    def to_tables(self) -> dict[str, pa.Table]:
        """The context as workspace tables (``detect_places``, ``detect_zones``)."""
        zones = pa.table(
            {
                "name": pa.array([z.name for z in self.zones], pa.string()),
                "risk": pa.array([z.risk for z in self.zones], pa.float64()),
                "source": pa.array([z.source for z in self.zones], pa.string()),
                "wkb": pa.array([shapely.to_wkb(z.geometry) for z in self.zones], pa.binary()),
            }
        )
        return {"detect_places": self.places, "detect_zones": zones}


def build_context(
    anchorages: pa.Table,
    params: DetectParams,
    reception: ReceptionMap | None = None,
    silences: Sequence[pa.Table] = (),
) -> DetectionContext:
    """The context of a run from its learned ``anchorages`` and the configured files."""
    places = gazetteer(anchorages, params.port_files)
    return DetectionContext(places, tuple(zones_of(params)), reception, tuple(silences))

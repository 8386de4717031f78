"""The detection context: what every window needs besides its own positions, built once per run.

Places (bundled ports, North Korean ports, the user's port files and the anchorages learned
from the data), the watched zones, and a reception map (optional). Anchorages are learned
over the whole run, not per window, so results do not depend on how the data is windowed:
each window contributes partial aggregates of its own days (per cell and vessel: first and
last stop time, sums of coordinates) and :func:`anchorages_from_cells` applies the rule of
:func:`watchkeeper.context.anchorages.learn_anchorages` to their union.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import pyarrow as pa
import shapely

from watchkeeper.context.anchorages import AnchorageParams
from watchkeeper.context.ports import PLACES, PlaceIndex, read_wpi_csv, searoute_ports
from watchkeeper.context.zones import Zone, builtin_zones, load_geojson_zones
from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.port_visit import dprk_ports

__all__ = [
    "DetectionContext",
    "anchorages_from_cells",
    "build_context",
    "stop_cells",
    "zones_of",
]

_CELLS_SQL = """
SELECT floor(lat / $cell)::BIGINT AS cy, floor(lon / $cell)::BIGINT AS cx, mmsi,
       min(epoch(ts)) AS t0, max(epoch(ts)) AS t1, sum(lat) AS slat, sum(lon) AS slon,
       count(*) AS n
FROM pos WHERE sog_kn < $stop GROUP BY ALL
"""

_MERGE_SQL = """
WITH v AS (
    SELECT cy, cx, mmsi, max(t1) - min(t0) AS stay_s,
           sum(slat) / sum(n) AS lat, sum(slon) / sum(n) AS lon
    FROM cells GROUP BY cy, cx, mmsi
)
SELECT cy, cx, count(*) AS n_vessels, avg(lat) AS lat, avg(lon) AS lon
FROM v WHERE stay_s >= $stay
GROUP BY cy, cx HAVING count(*) >= $nmin
ORDER BY cy, cx
"""


def stop_cells(positions: pa.Table, params: AnchorageParams) -> pa.Table:
    """Partial aggregates of the stopped positions of ``positions`` per (cell, vessel)."""
    con = duckdb.connect()
    try:
        con.register("pos", positions.select(["mmsi", "ts", "lat", "lon", "sog_kn"]))
        args = {"cell": params.cell_deg, "stop": params.stop_kn}
        return con.sql(_CELLS_SQL, params=args).to_arrow_table()
    finally:
        con.close()


def anchorages_from_cells(cells: Sequence[pa.Table], params: AnchorageParams) -> pa.Table:
    """Anchorages (a ``PLACES`` table) from the :func:`stop_cells` of every window."""
    con = duckdb.connect()
    try:
        parts = [c for c in cells if c.num_rows]
        if not parts:
            return PLACES.empty_table()
        con.register("cells", pa.concat_tables(parts))
        args = {"stay": params.min_stay_h * 3600.0, "nmin": params.min_vessels}
        found = con.sql(_MERGE_SQL, params=args).to_arrow_table()
    finally:
        con.close()
    n = found.num_rows
    return pa.table(
        {
            "name": pa.array([f"anchorage {i + 1}" for i in range(n)], pa.string()),
            "country": pa.nulls(n, pa.string()),
            "lat": found.column("lat"),
            "lon": found.column("lon"),
            "kind": pa.array(["anchorage"] * n, pa.string()),
            "source": pa.array(
                [f"learned:{v} vessels" for v in found.column("n_vessels").to_pylist()], pa.string()
            ),
        },
        schema=PLACES,
    )


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
    reception: object | None = None  # a reception map (context/reception.py), when built

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
    anchorages: pa.Table, params: DetectParams, reception: object | None = None
) -> DetectionContext:
    """The context of a run from its learned ``anchorages`` and the configured files."""
    tables = [searoute_ports(), dprk_ports(), anchorages]
    tables += [read_wpi_csv(Path(p)) for p in params.port_files]
    return DetectionContext(pa.concat_tables(tables), tuple(zones_of(params)), reception)

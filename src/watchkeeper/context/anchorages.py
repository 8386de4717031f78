"""Anchorages learned from the data: places where several distinct vessels sat still for hours.

Port lists give one point per port; ships wait at anchorages 10-25 km off that point, and
without them every crowded anchorage floods the results with false encounters. GFW learns
anchorages as cells where >= 20 distinct vessels stayed > 12 h over years of data; on the
days a user loads, fewer vessels and shorter stays must do (defaults below).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from watchkeeper.context.ports import PLACES
from watchkeeper.errors import ConfigError

__all__ = ["AnchorageParams", "learn_anchorages"]


@dataclass(frozen=True)
class AnchorageParams:
    """What makes a place an anchorage."""

    # GFW anchorages: a vessel is stopped below 0.2 kn and moving again above 0.5 kn.
    stop_kn: float = 0.5
    # Cell size in degrees (~2 km): wide enough for a ship swinging on its anchor chain.
    cell_deg: float = 0.02
    # A vessel counts when it stayed this long in the cell (GFW: 12 h over a year of data;
    # shorter here because users load days, not years).
    min_stay_h: float = 4.0
    # Distinct vessels needed (GFW: 20 over a year). Four keeps a pair in an STS, or a pair
    # with a tender, from turning their own meeting into an "anchorage".
    min_vessels: int = 4

    def __post_init__(self) -> None:
        if self.min_vessels < 2 or self.min_stay_h <= 0 or self.cell_deg <= 0:
            raise ConfigError("min_vessels >= 2, min_stay_h > 0 and cell_deg > 0 required")


_SQL = """
WITH s AS (
    SELECT mmsi, epoch(ts) AS t, lat, lon,
           floor(lat / $cell)::BIGINT AS cy, floor(lon / $cell)::BIGINT AS cx
    FROM pos WHERE sog_kn < $stop
), v AS (
    SELECT cy, cx, mmsi, max(t) - min(t) AS stay_s, avg(lat) AS lat, avg(lon) AS lon
    FROM s GROUP BY cy, cx, mmsi
)
SELECT cy, cx, count(*) AS n_vessels, avg(lat) AS lat, avg(lon) AS lon
FROM v WHERE stay_s >= $stay
GROUP BY cy, cx HAVING count(*) >= $nmin
ORDER BY cy, cx
"""


def learn_anchorages(positions: pa.Table, params: AnchorageParams = AnchorageParams()) -> pa.Table:
    """Anchorages (a ``PLACES`` table, kind 'anchorage') found in ``positions``."""
    con = duckdb.connect()
    try:
        con.register("pos", positions.select(["mmsi", "ts", "lat", "lon", "sog_kn"]))
        found = con.sql(
            _SQL,
            params={
                "cell": params.cell_deg,
                "stop": params.stop_kn,
                "stay": params.min_stay_h * 3600.0,
                "nmin": params.min_vessels,
            },
        ).to_arrow_table()
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

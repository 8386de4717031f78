"""Encounters: two vessels close together and nearly still while both transmit (STS).

Definition (DESIGN §3, after GFW pipe-encounters): tracks resampled to 10-minute slices
(:func:`~watchkeeper.tracks.resample.resample`); pairs within ``max_distance_m`` in the same
slice, found by a DuckDB join of each point against its own grid cell and the 8 around it
(never all pairs); runs of such slices spanning >= ``min_duration_h`` where the median speed of
*both* vessels is < ``max_speed_kn``; dropped when within ``min_place_km`` of a port or
anchorage. Beyond GFW: a run tolerates ``max_missed_slices`` missing slices, slices are global
integers so runs cross midnight, and both vessels' speeds are checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from watchkeeper.context.ports import PlaceIndex
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.resample import ResampleParams

__all__ = ["EncounterParams", "close_pairs", "detect_encounters"]


@dataclass(frozen=True)
class EncounterParams:
    """Thresholds of the encounter detector."""

    max_distance_m: float = 500.0  # GFW encounters: 500 m
    min_duration_h: float = 2.0  # GFW encounters: 2 h
    max_speed_kn: float = 2.0  # GFW encounters: median speed < 2 kn (here: both vessels)
    min_place_km: float = 10.0  # GFW encounters: dropped within 10 km of port/anchorage
    max_missed_slices: int = 1  # tolerate one missed 10-minute slice inside a run
    cell_deg: float = 0.01  # grid cell (1.1 km of latitude; must exceed max_distance_m)
    step_s: int = ResampleParams().step_s

    def __post_init__(self) -> None:
        if self.cell_deg * 111_000 < self.max_distance_m:
            raise ConfigError("cell_deg must be wider than max_distance_m")
        if self.max_missed_slices < 0 or self.min_duration_h <= 0:
            raise ConfigError("max_missed_slices >= 0 and min_duration_h > 0 required")


# Longitude cells widen with latitude (power-of-two multiples that divide the globe evenly)
# so that every cell stays wider than the search distance; the probe side computes the cell
# of each neighbouring row with that row's width, which keeps the 3x3 block exact.
_SQL = """
CREATE OR REPLACE TEMP MACRO wk_w(r) AS (
    CASE WHEN greatest(abs(r * $cell), abs((r + 1) * $cell)) >= 88 THEN 1 / $cell
    ELSE pow(2, ceil(log2(1 / cos(radians(greatest(abs(r * $cell), abs((r + 1) * $cell)))))))
    END)::BIGINT;
CREATE OR REPLACE TEMP MACRO wk_n(r) AS greatest(1, (360 / $cell / wk_w(r))::BIGINT);
CREATE OR REPLACE TEMP MACRO wk_cx(lon, r) AS
    (floor((lon + 180) / ($cell * wk_w(r)))::BIGINT) % wk_n(r);
"""

_PAIRS = """
WITH pts AS (
    SELECT track_id, mmsi, slice, lat, lon, sog_kn, floor(lat / $cell)::BIGINT AS cy FROM rs
), home AS (
    SELECT *, wk_cx(lon, cy) AS cx FROM pts
), probe AS (
    SELECT p.*, p.cy + dy AS qcy,
           (wk_cx(p.lon, p.cy + dy) + dx + wk_n(p.cy + dy)) % wk_n(p.cy + dy) AS qcx
    FROM pts p, (VALUES (-1), (0), (1)) a(dy), (VALUES (-1), (0), (1)) b(dx)
), cand AS (
    SELECT DISTINCT q.track_id AS a, h.track_id AS b, q.mmsi AS mmsi_a, h.mmsi AS mmsi_b,
           q.slice, q.lat AS lat_a, q.lon AS lon_a, h.lat AS lat_b, h.lon AS lon_b,
           q.sog_kn AS sog_a, h.sog_kn AS sog_b
    FROM probe q JOIN home h
      ON h.slice = q.slice AND h.cy = q.qcy AND h.cx = q.qcx
     AND h.track_id > q.track_id AND h.mmsi <> q.mmsi
)
SELECT *, 2 * 6371008.8 * asin(sqrt(
        pow(sin(radians(lat_b - lat_a) / 2), 2)
        + cos(radians(lat_a)) * cos(radians(lat_b)) * pow(sin(radians(lon_b - lon_a) / 2), 2)
    )) AS dist_m
FROM cand
WHERE dist_m <= $dist
ORDER BY a, b, slice
"""


def close_pairs(resampled: pa.Table, params: EncounterParams = EncounterParams()) -> pa.Table:
    """(a, b, slice, ...) for every pair of tracks within ``max_distance_m`` in one slice."""
    con = duckdb.connect()
    try:
        con.sql(_SQL.replace("$cell", repr(params.cell_deg)))
        con.register("rs", resampled)
        return con.sql(
            _PAIRS, params={"cell": params.cell_deg, "dist": params.max_distance_m}
        ).to_arrow_table()
    finally:
        con.close()


def _pair_runs(pairs: pa.Table, params: EncounterParams) -> list[tuple[int, int]]:
    a = pairs.column("a").to_numpy()
    b = pairs.column("b").to_numpy()
    k = pairs.column("slice").to_numpy()
    if not len(k):
        return []
    new = np.concatenate(
        [
            [True],
            (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (k[1:] - k[:-1] > 1 + params.max_missed_slices),
        ]
    )
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(k)) - 1
    long_enough = (k[ends] - k[starts]) * params.step_s >= params.min_duration_h * 3600.0
    return list(zip(starts[long_enough].tolist(), ends[long_enough].tolist(), strict=True))


def detect_encounters(
    resampled: pa.Table,
    *,
    places: PlaceIndex | None = None,
    params: EncounterParams = EncounterParams(),
) -> pa.Table:
    """``encounter`` events from resampled tracks (see :func:`close_pairs`)."""
    pairs = close_pairs(resampled, params)
    found = _pair_runs(pairs, params)
    if not found:
        return events_table([])
    col = {n: pairs.column(n).to_numpy(zero_copy_only=False) for n in pairs.column_names}
    rows = []
    for s, e in found:
        sl = slice(s, e + 1)
        sog_a = (
            float(np.nanmedian(np.asarray(col["sog_a"][sl], dtype=float)))
            if np.isfinite(np.asarray(col["sog_a"][sl], dtype=float)).any()
            else 0.0
        )
        sog_b = (
            float(np.nanmedian(np.asarray(col["sog_b"][sl], dtype=float)))
            if np.isfinite(np.asarray(col["sog_b"][sl], dtype=float)).any()
            else 0.0
        )
        if max(sog_a, sog_b) >= params.max_speed_kn:
            continue
        lat = float((col["lat_a"][sl].mean() + col["lat_b"][sl].mean()) / 2)
        lon = float(col["lon_a"][sl].mean())
        if (
            places is not None
            and places.within(np.array([lat]), np.array([lon]), params.min_place_km)[0]
        ):
            continue
        t0 = float(col["slice"][s] * params.step_s)
        t1 = float(col["slice"][e] * params.step_s)
        ma, mb = sorted((int(col["mmsi_a"][s]), int(col["mmsi_b"][s])))
        rows.append(
            event(
                "encounter",
                ma,
                to_datetime(t0),
                to_datetime(t1),
                lat,
                lon,
                other=mb,
                confidence=min(1.0, 0.6 + (t1 - t0) / 3600.0 / 10.0),
                risk=20.0,
                details={
                    "duration_h": round((t1 - t0) / 3600.0, 3),
                    "median_distance_m": float(np.median(col["dist_m"][sl])),
                    "median_sog_kn": [sog_a, sog_b],
                    "n_slices": int(e - s + 1),
                    "tracks": [int(col["a"][s]), int(col["b"][s])],
                    "params": params.__dict__,
                },
            )
        )
    return events_table(rows)

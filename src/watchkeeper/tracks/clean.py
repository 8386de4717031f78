"""Order and deduplicate positions, and null speeds known to be noise.

Receivers overlap and satellite data arrives out of order, so the same report shows up
several times and late. Detectors need each vessel's positions once, in time order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import ConfigError

__all__ = ["CleanParams", "clean"]


@dataclass(frozen=True)
class CleanParams:
    """How positions are cleaned."""

    # GFW segmenter (gpsdio-segment): 51.2, 63 and 102.3 kn are transponder noise values.
    noise_speeds_kn: tuple[float, ...] = (51.2, 63.0, 102.2, 102.3)
    # Reports of one MMSI closer than this in time and identical in place are one report.
    duplicate_within_s: float = 0.0

    def __post_init__(self) -> None:
        if self.duplicate_within_s < 0:
            raise ConfigError("duplicate_within_s must be >= 0")


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([("mmsi", "ascending"), ("ts", "ascending")])


def _duplicate_mask(table: pa.Table, within_s: float) -> np.ndarray:
    """True for rows that repeat the previous row of the same MMSI (same place, ~same time)."""
    n = table.num_rows
    if n < 2:
        return np.zeros(n, dtype=bool)
    mmsi = table.column("mmsi").to_numpy()
    ts = table.column("ts").cast(pa.int64()).to_numpy()
    lat = table.column("lat").to_numpy()
    lon = table.column("lon").to_numpy()
    dup = (
        (mmsi[1:] == mmsi[:-1])
        & (ts[1:] - ts[:-1] <= within_s * 1000)
        & (lat[1:] == lat[:-1])
        & (lon[1:] == lon[:-1])
    )
    return np.concatenate([[False], dup])


def clean(table: pa.Table, params: CleanParams = CleanParams()) -> pa.Table:
    """Positions sorted by (mmsi, ts), exact repeats dropped, noise speeds set to null."""
    table = _sorted(table)
    dup = _duplicate_mask(table, params.duplicate_within_s)
    if dup.any():
        table = table.filter(pa.array(~dup))
    if "sog_kn" in table.column_names and table.num_rows:
        sog = table.column("sog_kn")
        noise = pc.is_in(pc.round(sog, 1), pa.array(params.noise_speeds_kn, sog.type))
        i = table.schema.get_field_index("sog_kn")
        table = table.set_column(i, "sog_kn", pc.if_else(noise, pa.scalar(None, sog.type), sog))
    return table

"""Build small position tables from offsets in time and space (tests, docs, examples).

A test then reads like the situation it checks::

    >>> t = track(123456789, "2024-01-01T22:00", 38.7, 125.0, [(0, 0, 0), (60, 1000, 0)])
    >>> t.num_rows
    2
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from watchkeeper.schema import POSITIONS
from watchkeeper.tracks.geo import offset_deg

__all__ = ["concat", "parse_time", "stationary", "track"]


def parse_time(when: str | datetime) -> datetime:
    """An ISO 8601 string (UTC if no zone) or a datetime, as an aware UTC datetime."""
    t = datetime.fromisoformat(when) if isinstance(when, str) else when
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def track(
    mmsi: int,
    start: str | datetime,
    lat: float,
    lon: float,
    steps: Sequence[tuple[float, float, float]],
    *,
    sog_kn: float | None = None,
) -> pa.Table:
    """Positions of one vessel: ``steps`` are (minutes, metres east, metres north) from start.

    Speed over ground is derived from consecutive steps unless ``sog_kn`` fixes it.
    """
    t0 = parse_time(start)
    minutes = np.array([s[0] for s in steps], dtype=np.float64)
    east = np.array([s[1] for s in steps], dtype=np.float64)
    north = np.array([s[2] for s in steps], dtype=np.float64)
    lats, lons = offset_deg(lat, lon, east, north)
    if sog_kn is None:
        dist = np.hypot(np.diff(east), np.diff(north)) / 1852.0
        hours = np.maximum(np.diff(minutes) / 60.0, 1e-9)
        speeds = np.concatenate([[0.0], dist / hours]) if len(steps) > 1 else np.zeros(1)
        if len(steps) > 1:
            speeds[0] = speeds[1]
    else:
        speeds = np.full(len(steps), sog_kn)
    n = len(steps)
    return pa.table(
        {
            "mmsi": pa.array([mmsi] * n, pa.int64()),
            "ts": pa.array(
                [t0 + timedelta(minutes=float(m)) for m in minutes], POSITIONS.field("ts").type
            ),
            "lat": pa.array(lats, pa.float64()),
            "lon": pa.array(lons, pa.float64()),
            "sog_kn": pa.array(speeds, pa.float32()),
            "cog_deg": pa.nulls(n, pa.float32()),
            "heading_deg": pa.nulls(n, pa.int16()),
            "nav_status": pa.nulls(n, pa.int8()),
            "msg_type": pa.array([1] * n, pa.int8()),
            "ais_class": pa.array(["A"] * n, pa.string()),
            "source": pa.array(["builder"] * n, pa.string()),
            "quality": pa.array([0] * n, pa.int16()),
            "line": pa.nulls(n, pa.int64()),  # built here: no source file
        },
        schema=POSITIONS,
    )


def stationary(
    mmsi: int, start: str | datetime, lat: float, lon: float, *, hours: float, every_min: float = 10
) -> pa.Table:
    """A vessel sitting still at (lat, lon), reporting every ``every_min`` minutes."""
    n = int(hours * 60 / every_min) + 1
    return track(mmsi, start, lat, lon, [(i * every_min, 0.0, 0.0) for i in range(n)], sog_kn=0.1)


def concat(*tables: pa.Table) -> pa.Table:
    """Several built tracks as one positions table."""
    return pa.concat_tables(tables)

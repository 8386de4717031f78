"""Numpy views of a tracks table and run-finding helpers shared by the detectors."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = ["Cols", "cols", "count_per_gap", "runs"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Cols:
    """Columns of a tracks table as numpy arrays (time in epoch seconds)."""

    track: Ints
    mmsi: Ints
    t: Floats
    lat: Floats
    lon: Floats
    sog: Floats


def cols(tracks: pa.Table) -> Cols:
    """Numpy columns of positions sorted by (track_id, ts); track_id defaults to mmsi*1000."""
    mmsi = tracks.column("mmsi").to_numpy().astype(np.int64)
    track = (
        tracks.column("track_id").to_numpy().astype(np.int64)
        if "track_id" in tracks.column_names
        else mmsi * 1000
    )
    sog = (
        np.asarray(tracks.column("sog_kn").to_numpy(zero_copy_only=False), dtype=np.float64)
        if "sog_kn" in tracks.column_names
        else np.full(len(mmsi), np.nan)
    )
    return Cols(
        track=track,
        mmsi=mmsi,
        t=tracks.column("ts").cast(pa.int64()).to_numpy().astype(np.float64) / 1000.0,
        lat=np.asarray(tracks.column("lat").to_numpy(), dtype=np.float64),
        lon=np.asarray(tracks.column("lon").to_numpy(), dtype=np.float64),
        sog=sog,
    )


def runs(flag: npt.NDArray[np.bool_], group: Ints) -> tuple[Ints, Ints]:
    """Start and end (inclusive) indices of runs of True within each group."""
    n = len(flag)
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    brk = np.concatenate([[True], group[1:] != group[:-1]])
    start = flag & (brk | ~np.concatenate([[False], flag[:-1]]))
    nxt_brk = np.concatenate([group[1:] != group[:-1], [True]])
    end = flag & (nxt_brk | ~np.concatenate([flag[1:], [False]]))
    return np.flatnonzero(start).astype(np.int64), np.flatnonzero(end).astype(np.int64)


def count_per_gap(c: Cols, gaps: pa.Table, cell_deg: float, sql: str) -> Ints:
    """Run ``sql`` (a count per ``gid``) over ``gaps`` and ``pts``, the positions of ``c`` with
    their ``cell_deg`` grid cell (``cy``, ``cx``), in DuckDB; 0 for gaps without a row.

    The reception checks of ``ais_gap`` and ``dark_sts`` ask the same question: who else was
    heard near this silence while it lasted.
    """
    out = np.zeros(gaps.num_rows, dtype=np.int64)
    if not gaps.num_rows:
        return out
    pts = pa.table(
        {
            "mmsi": c.mmsi,
            "cy": np.floor(c.lat / cell_deg).astype(np.int64),
            "cx": np.floor(c.lon / cell_deg).astype(np.int64),
            "t": c.t,
        }
    )
    con = duckdb.connect()
    try:
        con.register("gaps", gaps)
        con.register("pts", pts)
        rel = con.sql(sql)
        assert rel is not None
        res = rel.to_arrow_table()
    finally:
        con.close()
    out[res.column("gid").to_numpy()] = res.column("n").to_numpy()
    return out

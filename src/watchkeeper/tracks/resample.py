"""Resample tracks to a fixed time grid, interpolating only across short gaps.

Pairwise detectors compare vessels at the same instants: GFW's encounter pipeline puts each
track on a 10-minute grid and does not interpolate across gaps of an hour or more. Slices are
integers (``epoch seconds // step``), so slices are the same for every vessel and every day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import M_PER_NM, haversine_m, wrap_lon

__all__ = ["RESAMPLED", "ResampleParams", "resample"]

RESAMPLED = pa.schema(
    [
        pa.field("track_id", pa.int64()),
        pa.field("mmsi", pa.int64()),
        pa.field("slice", pa.int64()),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("sog_kn", pa.float32()),
    ]
)


@dataclass(frozen=True)
class ResampleParams:
    """The grid and how far interpolation may reach."""

    step_s: int = 600  # GFW encounters: 10-minute slices
    max_interp_gap_s: float = 3600.0  # GFW encounters: no interpolation across gaps >= 1 h
    # A lone position still fills the slice it is within this many seconds of.
    snap_s: float = 300.0
    # A vessel that stayed put is where it was: a longer hole is still interpolated when both
    # positions around it are slow and the displacement over the hole is slow too. Up to the
    # AIS-gap threshold (6 h, DESIGN §3); satellite holes are hours long (median of the
    # largest daily gap 4.3 h, Eriksen 2018). 0 disables it.
    max_hold_gap_s: float = 6 * 3600.0
    hold_speed_kn: float = 2.0  # DESIGN §3: "nearly still" in encounters and loitering

    def __post_init__(self) -> None:
        if self.step_s <= 0 or self.max_interp_gap_s <= 0 or self.snap_s < 0:
            raise ConfigError("step_s and max_interp_gap_s must be positive, snap_s >= 0")
        if self.max_hold_gap_s < 0 or self.hold_speed_kn <= 0:
            raise ConfigError("max_hold_gap_s >= 0 and hold_speed_kn > 0 required")


Arr = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


def _pair_slices(
    t0: Arr, t1: Arr, step: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For each pair (t0, t1], the grid slices k with t0 <= k*step < t1: (pair index, k)."""
    k0 = np.ceil(t0 / step).astype(np.int64)
    k1 = np.ceil(t1 / step).astype(np.int64)
    counts = np.maximum(k1 - k0, 0)
    pair = np.repeat(np.arange(len(t0)), counts)
    first = np.repeat(k0, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return pair, first + offsets


def _held(ts: Arr, lat: Arr, lon: Arr, sog: Arr, hole: Bools, params: ResampleParams) -> Bools:
    """Which holes (position i to i+1, ``hole`` true) a still vessel bridges: shorter than
    ``max_hold_gap_s``, slow reported speed on both sides (missing counts as slow) and a
    slow displacement over the hole."""
    v = params.hold_speed_kn
    dt = ts[1:] - ts[:-1]
    slow = np.nan_to_num(sog, nan=0.0) < v
    i = np.flatnonzero(hole & (dt < params.max_hold_gap_s) & slow[:-1] & slow[1:])
    held = np.zeros(len(dt), dtype=bool)
    drift_nm = haversine_m(lat[i], lon[i], lat[i + 1], lon[i + 1]) / M_PER_NM
    held[i] = drift_nm / (dt[i] / 3600.0 + 1e-9) < v
    return held


def resample(tracks: pa.Table, params: ResampleParams = ResampleParams()) -> pa.Table:
    """One row per (track, slice) where the track's position at that instant is known.

    ``tracks`` are positions sorted by (track_id, ts) with a ``track_id`` column (see
    :func:`~watchkeeper.tracks.segment.segment`). Longitude is interpolated the short way
    round, so tracks across the antimeridian stay on the sea.
    """
    if tracks.num_rows == 0:
        return RESAMPLED.empty_table()
    tid = tracks.column("track_id").to_numpy()
    ts = tracks.column("ts").cast(pa.int64()).to_numpy().astype(np.float64) / 1000.0
    lat = np.asarray(tracks.column("lat").to_numpy(), dtype=np.float64)
    lon = np.asarray(tracks.column("lon").to_numpy(), dtype=np.float64)
    sog = np.asarray(tracks.column("sog_kn").to_numpy(zero_copy_only=False), dtype=np.float64)
    step = params.step_s
    # interpolated slices between consecutive close positions of one track, or across a
    # longer hole where the vessel stayed put
    same = tid[1:] == tid[:-1]
    short = ts[1:] - ts[:-1] < params.max_interp_gap_s
    ok = same & (short | _held(ts, lat, lon, sog, same & ~short, params))
    i0 = np.flatnonzero(ok)
    pair, k = _pair_slices(ts[i0], ts[i0 + 1], step)
    a, b = i0[pair], i0[pair] + 1
    w = (k * step - ts[a]) / np.maximum(ts[b] - ts[a], 1e-9)
    sog_i = np.where(np.isnan(sog[a]), sog[b], sog[a] + w * np.nan_to_num(sog[b] - sog[a]))
    # a position fills its nearest slice when close enough; inside a run of interpolated
    # steps that slice is already filled, so only the ends of runs and lone points snap
    near = np.round(ts / step).astype(np.int64)
    inner = np.concatenate([[False], ok]) & np.concatenate([ok, [False]])
    snap = np.flatnonzero((np.abs(near * step - ts) <= params.snap_s) & ~inner)
    return _dedupe(
        np.concatenate([tid[a], tid[snap]]),
        np.concatenate([k, near[snap]]),
        np.concatenate([lat[a] + w * (lat[b] - lat[a]), lat[snap]]),
        np.concatenate([wrap_lon(lon[a] + w * wrap_lon(lon[b] - lon[a])), lon[snap]]),
        np.concatenate([sog_i, sog[snap]]),
    )


def _dedupe(tid: Ints, k: Ints, lat: Arr, lon: Arr, sog: Arr) -> pa.Table:
    """One row per (track, slice), the interpolated one first (rows come interpolated
    first, and the sort is stable); adds ``mmsi`` (track ids are mmsi * 1000 + n)."""
    order = np.lexsort((k, tid))
    tid_s, k_s = tid[order], k[order]
    first = order[np.concatenate([[True], (tid_s[1:] != tid_s[:-1]) | (k_s[1:] != k_s[:-1])])]
    return pa.table(
        {
            "track_id": pa.array(tid[first], pa.int64()),
            "mmsi": pa.array(tid[first] // 1000, pa.int64()),
            "slice": pa.array(k[first], pa.int64()),
            "lat": pa.array(lat[first], pa.float64()),
            "lon": pa.array(lon[first], pa.float64()),
            "sog_kn": pa.array(sog[first], pa.float32(), from_pandas=True),
        },
        schema=RESAMPLED,
    )

"""Split one MMSI into tracks (ships) when its positions are mutually impossible.

An MMSI is an identity, not a hull: several ships broadcast the same number (copied
configurations, deliberate spoofing), and a spoofer's fake positions interleave with the real
ones. Like GFW's segmenter (gpsdio-segment), each position joins the open track it can be
reached from at a plausible speed (the one heard from last), or opens a new track.

Most MMSIs are one consistent ship: a vectorised check finds them and only the others go
through the sequential assignment. Track ids are ``mmsi * 1000 + k`` (k = 0 for the first
track of that MMSI), so they are stable, readable and unique.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import M_PER_NM, haversine_m

__all__ = ["TRACK_FACTOR", "SegmentParams", "adjusted_rand_index", "segment"]

TRACK_FACTOR = 1000  # track_id = mmsi * TRACK_FACTOR + k


@dataclass(frozen=True)
class SegmentParams:
    """When two positions of one MMSI cannot belong to one ship.

    The distance between two positions, minus what the reported speed explains, must fit
    in ``max_speed_kn * (buffer_h + h**2 / (h + penalty_h))``: GFW gpsdio-segment's
    "penalised hours", which grow slowly for short intervals (a ship does not jump 100 nm
    between two ports in four hours while reporting 0 kn) and like ``h`` for long ones.
    """

    # GFW gpsdio-segment: DEFAULT_MAX_KNOTS = 25.
    max_speed_kn: float = 25.0
    # gpsdio-segment DEFAULT_BUFFER_HOURS = 10 min: position noise and clock error.
    buffer_h: float = 10 / 60
    # gpsdio-segment DEFAULT_PENALTY_HOURS = 24.
    penalty_h: float = 24.0
    # Reported speed is trusted up to this factor (gpsdio-segment: 1.1).
    reported_speed_factor: float = 1.1
    # A track silent this long is closed; later positions start a new one. None (default)
    # keeps tracks open so that gaps stay visible to the gap detector; gpsdio-segment uses 24.
    max_gap_h: float | None = None
    # Most tracks kept open per MMSI while assigning (the stalest is closed first).
    max_open: int = 32
    # Two open tracks fitting a point within this factor of each other are both closed and
    # the point starts a new track. gpsdio-segment: DEFAULT_AMBIGUITY_FACTOR = 2. None: off.
    ambiguity_factor: float | None = 2.0

    def __post_init__(self) -> None:
        if self.max_speed_kn <= 0 or self.buffer_h < 0 or self.penalty_h <= 0:
            raise ConfigError("max_speed_kn > 0, buffer_h >= 0 and penalty_h > 0 required")
        if self.max_open < 1 or (self.max_gap_h is not None and self.max_gap_h <= 0):
            raise ConfigError("max_open >= 1 and max_gap_h > 0 required")
        if self.ambiguity_factor is not None and self.ambiguity_factor < 1:
            raise ConfigError("ambiguity_factor >= 1 (or None) required")


Floats = npt.NDArray[np.float64]


def _score(dist_m: Floats, dt_s: Floats, sog_kn: Floats, p: SegmentParams) -> Floats:
    """How far (0..1) into the plausible envelope each move is; ``inf`` when impossible.

    The distance not explained by the reported speed, divided by what ``max_speed_kn`` allows
    over the penalised hours; GFW's segmenter ranks candidate segments by the same ratio
    ("discrepancy / max_allowed_discrepancy").
    """
    h = np.abs(dt_s) / 3600.0
    explained = np.nan_to_num(sog_kn) * p.reported_speed_factor * h
    excess_nm = np.maximum(dist_m / M_PER_NM - explained, 0.0)
    allowed_nm = p.max_speed_kn * (p.buffer_h + h * h / (h + p.penalty_h))
    score = excess_nm / np.maximum(allowed_nm, 1e-9)
    bad = score > 1.0
    if p.max_gap_h is not None:
        bad |= h > p.max_gap_h
    return np.asarray(np.where(bad, np.inf, score))


def _reachable(
    dist_m: Floats, dt_s: Floats, sog_kn: Floats, p: SegmentParams
) -> npt.NDArray[np.bool_]:
    """Whether a ship could cover ``dist_m`` in ``dt_s`` given its reported speed."""
    return np.asarray(np.isfinite(_score(dist_m, dt_s, sog_kn, p)))


class _Open:
    """The open tracks of one MMSI: last point of each, as parallel arrays."""

    def __init__(self) -> None:
        self.t, self.lat, self.lon, self.sog = np.empty(0), np.empty(0), np.empty(0), np.empty(0)
        self.id = np.empty(0, dtype=np.int64)

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        self.t, self.lat, self.lon = self.t[mask], self.lat[mask], self.lon[mask]
        self.sog, self.id = self.sog[mask], self.id[mask]

    def add(self, t: float, lat: float, lon: float, sog: float, track: int) -> None:
        self.t, self.lat = np.append(self.t, t), np.append(self.lat, lat)
        self.lon, self.sog = np.append(self.lon, lon), np.append(self.sog, sog)
        self.id = np.append(self.id, track)


def _best(score: Floats, p: SegmentParams) -> int | npt.NDArray[np.bool_] | None:
    """Index of the open track to join, a mask of ambiguous tracks to close, or None."""
    ok = np.isfinite(score)
    if not ok.any():
        return None
    best = int(np.argmin(score))
    if p.ambiguity_factor is None or ok.sum() < 2:
        return best
    close = ok & (score <= score[best] * p.ambiguity_factor)
    return best if close.sum() < 2 else close


def _assign(
    ts: Floats, lat: Floats, lon: Floats, sog: Floats, p: SegmentParams
) -> npt.NDArray[np.int64]:
    """Sequential assignment of one MMSI's time-ordered points to tracks 0..k.

    Each point joins the open track it fits best (lowest :func:`_score`); when two or more
    fit about equally well (within ``ambiguity_factor``) none is trusted: they are closed
    and the point opens a new track (gpsdio-segment's ambiguity rule). No fit: new track.
    """
    out = np.empty(len(ts), dtype=np.int64)
    o = _Open()
    next_id = 0
    for i in range(len(ts)):
        dist = haversine_m(o.lat, o.lon, lat[i], lon[i])
        choice = _best(_score(dist, ts[i] - o.t, np.fmax(o.sog, sog[i]), p), p)
        if isinstance(choice, int):
            j = choice
            o.t[j], o.lat[j], o.lon[j], o.sog[j] = ts[i], lat[i], lon[i], sog[i]
            out[i] = o.id[j]
            continue
        if choice is not None:
            o.keep(~choice)
        if len(o.t) >= p.max_open:
            o.keep(o.t > o.t.min())
        o.add(ts[i], lat[i], lon[i], sog[i], next_id)
        out[i] = next_id
        next_id += 1
    return np.minimum(out, TRACK_FACTOR - 1)


def _sog(table: pa.Table) -> Floats:
    if "sog_kn" not in table.column_names:
        return np.zeros(table.num_rows)
    return np.asarray(table.column("sog_kn").to_numpy(zero_copy_only=False), dtype=np.float64)


def segment(table: pa.Table, params: SegmentParams = SegmentParams()) -> pa.Table:
    """Add ``track_id`` to positions sorted by (mmsi, ts) (see :func:`~.clean.clean`)."""
    n = table.num_rows
    mmsi = table.column("mmsi").to_numpy().astype(np.int64)
    ts = table.column("ts").cast(pa.int64()).to_numpy().astype(np.float64) / 1000.0
    lat = table.column("lat").to_numpy()
    lon = table.column("lon").to_numpy()
    sog = _sog(table)
    k = np.zeros(n, dtype=np.int64)
    if n > 1:
        same = mmsi[1:] == mmsi[:-1]
        dist = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
        ok = _reachable(dist, ts[1:] - ts[:-1], np.fmax(sog[:-1], sog[1:]), params)
        for m in np.unique(mmsi[1:][same & ~ok]):
            lo, hi = np.searchsorted(mmsi, [m, m + 1])
            k[lo:hi] = _assign(ts[lo:hi], lat[lo:hi], lon[lo:hi], sog[lo:hi], params)
    track_id = pa.array(mmsi * TRACK_FACTOR + k, pa.int64())
    if "track_id" in table.column_names:
        return table.set_column(table.schema.get_field_index("track_id"), "track_id", track_id)
    return table.append_column("track_id", track_id)


def adjusted_rand_index(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Adjusted Rand index of two labelings of the same items (1 = identical partitions)."""
    _, ia = np.unique(np.asarray(a), return_inverse=True)
    _, ib = np.unique(np.asarray(b), return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1), dtype=np.float64)
    np.add.at(table, (ia, ib), 1.0)

    def pairs(x: npt.NDArray[np.float64]) -> float:
        return float((x * (x - 1) / 2).sum())

    index = pairs(table)
    sa, sb = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    total = pairs(np.array([float(len(ia))]))
    expected = sa * sb / total if total else 0.0
    maximum = (sa + sb) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)

"""Split one MMSI into tracks (ships) when its positions are mutually impossible.

An MMSI is an identity, not a hull: several ships broadcast the same number (copied
configurations, deliberate spoofing), and a spoofer's fake positions interleave with the real
ones. Most MMSIs are one consistent ship: a vectorised check over consecutive positions finds
them (the fast path) and only the others go through the sequential assignment, which follows
GFW's gpsdio-segment (ssvid generation, 2018): each position joins the open track it fits best,
judged against the last few points of every track (a point that only fits an older point drops
the newer ones as noise); ambiguous fits close the tracks involved.

Track ids are ``mmsi * 1000 + k`` (k = 0 for the first track of that MMSI), so they are
stable, readable and unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import M_PER_NM, haversine_m

__all__ = ["TRACK_FACTOR", "SegmentParams", "adjusted_rand_index", "moves_explained", "segment"]

TRACK_FACTOR = 1000  # track_id = mmsi * TRACK_FACTOR + k

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SegmentParams:
    """When an MMSI is several ships, and how its positions are shared out between them.

    The *gate* decides which MMSIs need the sequential assignment: some consecutive move
    cannot be explained, i.e. the distance minus what the reported speed covers exceeds
    ``max_speed_kn * (buffer_h + h**2 / (h + penalty_h))`` (gpsdio-segment's original
    "penalised hours"). The *match* parameters define the assignment itself, after
    gpsdio-segment's 2018 Segmentizer (see docs/detectors/segmentation.md).
    """

    # Gate. gpsdio-segment DEFAULT_MAX_KNOTS = 25 (also the match speed).
    max_speed_kn: float = 25.0
    # Gate. gpsdio-segment (2016) DEFAULT_BUFFER_HOURS = 10 min: position noise, clock error.
    buffer_h: float = 10 / 60
    # Gate. gpsdio-segment (2016) DEFAULT_PENALTY_HOURS = 24.
    penalty_h: float = 24.0
    # Gate. Reported speed is trusted up to this factor (gpsdio-segment: 1.1).
    reported_speed_factor: float = 1.1
    # Match. A track silent this long cannot take a point (gpsdio-segment 2018:
    # DEFAULT_MAX_HOURS = 2.5 * 24). Applies to shared MMSIs only: a consistent ship is never
    # split on a gap, so gaps stay visible to the gap detector. None: no limit.
    max_gap_h: float | None = 60.0
    # Match. Time padding (gpsdio-segment 2018 DEFAULT_BUFFER_HOURS = 5 / 60).
    match_buffer_h: float = 5 / 60
    # Match. Hours are damped as h / (1 + (h / match_penalty_h) ** (1 - hours_exp)):
    # gpsdio-segment 2018 DEFAULT_PENALTY_HOURS = 1, DEFAULT_HOURS_EXP = 0.5.
    match_penalty_h: float = 1.0
    hours_exp: float = 0.5
    # Match. Discrepancies below about this many nm are noise (DEFAULT_BUFFER_NM = 5).
    buffer_nm: float = 5.0
    # Match. Unexplained speed that is strongly discouraged (DEFAULT_PENALTY_SPEED = 5).
    penalty_speed_kn: float = 5.0
    # Match. Weight of "it stayed put" and off-course moves (DEFAULT_SHAPE_FACTOR = 4).
    shape_factor: float = 4.0
    # Match. Points of each track a new point is compared with (DEFAULT_LOOKBACK = 5) and
    # how much better an older point must fit to drop the newer ones (DEFAULT_LOOKBACK_FACTOR).
    lookback: int = 5
    lookback_factor: float = 1.2
    # Match. Tracks shorter than this many points are trusted less, as (n / t) ** exp
    # (DEFAULT_SHORT_SEG_THRESHOLD = 10, DEFAULT_SHORT_SEG_EXP = 0.5).
    short_track_n: int = 10
    short_track_exp: float = 0.5
    # Match. Tracks fitting within this factor of the best are all closed and the point
    # starts a new track (DEFAULT_AMBIGUITY_FACTOR = 10). None: off.
    ambiguity_factor: float | None = 10.0
    # Match. Most tracks open per MMSI; the stalest is closed first (DEFAULT_MAX_OPEN_SEGMENTS).
    max_open: int = 20
    # Derived: 1 / penalty fraction of the allowed discrepancy (max_speed / penalty_speed).
    alpha0: float = field(init=False)

    def __post_init__(self) -> None:
        if self.max_speed_kn <= 0 or self.buffer_h < 0 or self.penalty_h <= 0:
            raise ConfigError("max_speed_kn > 0, buffer_h >= 0 and penalty_h > 0 required")
        if self.max_open < 1 or (self.max_gap_h is not None and self.max_gap_h <= 0):
            raise ConfigError("max_open >= 1 and max_gap_h > 0 required")
        if self.ambiguity_factor is not None and self.ambiguity_factor < 1:
            raise ConfigError("ambiguity_factor >= 1 (or None) required")
        if self.lookback < 1 or self.lookback_factor < 1 or self.short_track_n < 1:
            raise ConfigError("lookback >= 1, lookback_factor >= 1, short_track_n >= 1 required")
        if self.match_penalty_h <= 0 or self.penalty_speed_kn <= 0 or self.match_buffer_h < 0:
            raise ConfigError("match_penalty_h > 0, penalty_speed_kn > 0, match_buffer_h >= 0")
        object.__setattr__(self, "alpha0", self.max_speed_kn / self.penalty_speed_kn)


# ---------------------------------------------------------------- fast path (the gate)


def _gate_ok(dist_m: Floats, dt_s: Floats, sog_kn: Floats, p: SegmentParams) -> Bools:
    """Whether each consecutive move is explained (see :class:`SegmentParams`)."""
    h = np.abs(dt_s) / 3600.0
    explained = np.nan_to_num(sog_kn) * p.reported_speed_factor * h
    excess_nm = np.maximum(dist_m / M_PER_NM - explained, 0.0)
    allowed_nm = p.max_speed_kn * (p.buffer_h + h * h / (h + p.penalty_h))
    return np.asarray(excess_nm <= allowed_nm)


def moves_explained(
    dist_m: Floats, dt_s: Floats, sog_kn: Floats, params: SegmentParams = SegmentParams()
) -> Bools:
    """Whether each move (distance, time, reported speed) is explained: the gate, public
    for the spoofing detector, which judges unsplit tracks by the same rule."""
    return _gate_ok(dist_m, dt_s, sog_kn, params)


# ---------------------------------------------------------------- the match metric


@dataclass(frozen=True)
class _Points:
    """One MMSI's positions: time (h), place and reported velocity (kn east, kn north)."""

    t_h: Floats
    lat: Floats
    lon: Floats
    sog: Floats
    cog_rad: Floats  # NaN when not reported: the point is then taken as stationary

    @property
    def v_east(self) -> Floats:
        return np.asarray(np.where(np.isnan(self.cog_rad), 0.0, self.sog * np.sin(self.cog_rad)))

    @property
    def v_north(self) -> Floats:
        return np.asarray(np.where(np.isnan(self.cog_rad), 0.0, self.sog * np.cos(self.cog_rad)))


def _off_course_nm(
    dx: Floats, dy: Floats, i: npt.NDArray[np.intp], pts: _Points, h: Floats
) -> Floats:
    """Distance of the move from point i's course line, when the move lies along it."""
    sog = np.where(np.isnan(pts.cog_rad[i]), 0.0, pts.sog[i])
    ux, uy = np.sin(pts.cog_rad[i]), np.cos(pts.cog_rad[i])
    along = ux * dx + uy * dy
    across = np.abs(ux * dy - uy * dx)
    inside = (along > 0) & (along <= sog * h)
    return np.asarray(np.where(inside, across, np.inf))


def _discrepancy_nm(
    a: npt.NDArray[np.intp], b: npt.NDArray[np.intp], pts: _Points, shape: float
) -> Floats:
    """How far (nm) the move a -> b is from what a's and b's reports predict.

    The smallest of: the mean dead-reckoning miss of both ends; ``shape`` times the distance
    (the ship stayed put); ``shape`` times the mean distance from the two course lines (it
    sailed along its course, slower). Local flat geometry, in nm.
    """
    h = pts.t_h[b] - pts.t_h[a]
    nm_lon = 60.0 * np.cos(np.radians(0.5 * (pts.lat[a] + pts.lat[b])))
    dx = ((pts.lon[b] - pts.lon[a] + 180.0) % 360.0 - 180.0) * nm_lon
    dy = (pts.lat[b] - pts.lat[a]) * 60.0
    ve, vn = pts.v_east, pts.v_north
    miss = 0.5 * (
        np.hypot(dx - ve[a] * h, dy - vn[a] * h) + np.hypot(dx - ve[b] * h, dy - vn[b] * h)
    )
    along = 0.5 * (_off_course_nm(dx, dy, a, pts, h) + _off_course_nm(dx, dy, b, pts, h))
    return np.asarray(np.minimum(miss, shape * np.minimum(np.hypot(dx, dy), along)))


def _fit(a: npt.NDArray[np.intp], b: int, pts: _Points, p: SegmentParams) -> Floats:
    """Score (> 0, higher is better) of point b following each point a; 0 when it cannot.

    The discrepancy, softened below ``buffer_nm``, must fit in ``max_speed_kn`` times the
    damped hours; the score is ``exp(-(alpha0 * discrepancy / allowed) ** 2) / hours ** 2``.
    """
    disc = _discrepancy_nm(a, np.full(len(a), b, dtype=np.intp), pts, p.shape_factor)
    h = pts.t_h[b] - pts.t_h[a]
    damp = 1.0 + (h / p.match_penalty_h) ** (1.0 - p.hours_exp)
    eff_h = np.maximum(np.hypot(h, p.match_buffer_h) / damp, 1e-9)
    soft = np.hypot(p.buffer_nm, disc) - p.buffer_nm
    allowed = eff_h * p.max_speed_kn
    score = np.exp(-((p.alpha0 * soft / allowed) ** 2)) / eff_h**2
    ok = soft <= allowed
    if p.max_gap_h is not None:
        ok &= h <= p.max_gap_h
    return np.asarray(np.where(ok, score, 0.0))


# ---------------------------------------------------------------- sequential assignment


@dataclass
class _Track:
    """An open track: its kept points (time order), their fit scores, points ever added."""

    id: int
    kept: list[int]
    scores: list[float]
    n_added: int

    def candidates(self, lookback: int) -> tuple[list[int], list[float]]:
        """The last ``lookback`` kept points, newest first, and the score each would drop."""
        pts = self.kept[::-1][:lookback]
        floor = [0.0, *self.scores[::-1][: len(pts) - 1]]
        return pts, floor


class _Assigner:
    """gpsdio-segment's Segmentizer loop over one MMSI's time-ordered points."""

    def __init__(self, pts: _Points, p: SegmentParams) -> None:
        self.pts, self.p = pts, p
        self.open: list[_Track] = []
        self.label = np.zeros(len(pts.t_h), dtype=np.int64)
        self.dropped: list[int] = []
        self.next_id = 0

    def run(self) -> npt.NDArray[np.int64]:
        for i in range(len(self.pts.t_h)):
            self._close_silent(i)
            self._place(i)
        for i in sorted(self.dropped):  # each dropped point is a track of its own (noise)
            self.label[i] = self.next_id
            self.next_id += 1
        return np.minimum(self.label, TRACK_FACTOR - 1)

    def _close_silent(self, i: int) -> None:
        if self.p.max_gap_h is None:
            return
        t = self.pts.t_h
        self.open = [tr for tr in self.open if t[i] - t[tr.kept[-1]] <= self.p.max_gap_h]

    def _place(self, i: int) -> None:
        best = self._best_per_track(i)
        if best is None:
            self._new_track(i)
            return
        score, rank = best
        weight = np.array([min(tr.n_added / self.p.short_track_n, 1.0) for tr in self.open])
        weighted = score * weight**self.p.short_track_exp
        top = int(np.argmax(weighted))
        if self.p.ambiguity_factor is not None:
            close = (score > 0) & (weighted * self.p.ambiguity_factor >= weighted[top])
            if close.sum() > 1:
                self.open = [tr for tr, c in zip(self.open, close, strict=True) if not c]
                self._new_track(i)
                return
        self._join(self.open[top], i, float(score[top]), int(rank[top]))

    def _best_per_track(self, i: int) -> tuple[Floats, npt.NDArray[np.intp]] | None:
        """Best score of each open track for point i (0: no fit) and its lookback rank."""
        if not self.open:
            return None
        cand: list[int] = []
        floor: list[float] = []
        owner: list[int] = []
        rank: list[int] = []
        for j, tr in enumerate(self.open):
            c, f = tr.candidates(self.p.lookback)
            cand += c
            floor += f
            owner += [j] * len(c)
            rank += range(len(c))
        rk = np.asarray(rank, dtype=np.intp)
        s = _fit(np.asarray(cand, dtype=np.intp), i, self.pts, self.p)
        s = s * self.p.lookback_factor ** (-rk.astype(np.float64))
        s = np.where(s > np.asarray(floor), s, 0.0)
        ow = np.asarray(owner, dtype=np.intp)
        score = np.zeros(len(self.open))
        np.maximum.at(score, ow, s)
        if not (score > 0).any():
            return None
        best_rank = np.zeros(len(self.open), dtype=np.intp)
        hit = (s > 0) & (s == score[ow])
        best_rank[ow[hit][::-1]] = rk[hit][::-1]  # lowest rank wins ties
        return score, best_rank

    def _join(self, tr: _Track, i: int, score: float, rank: int) -> None:
        if rank:
            self.dropped += tr.kept[-rank:]
            del tr.kept[-rank:], tr.scores[-rank:]
        tr.kept.append(i)
        tr.scores.append(score)
        tr.n_added += 1
        self.label[i] = tr.id

    def _new_track(self, i: int) -> None:
        while len(self.open) >= self.p.max_open:
            stalest = min(self.open, key=lambda tr: self.pts.t_h[tr.kept[-1]])
            self.open.remove(stalest)
        self.open.append(_Track(id=self.next_id, kept=[i], scores=[0.0], n_added=1))
        self.label[i] = self.next_id
        self.next_id += 1


# ---------------------------------------------------------------- table in, table out


def _column(table: pa.Table, name: str) -> Floats:
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    arr = table.column(name).to_numpy(zero_copy_only=False)
    return np.asarray(arr, dtype=np.float64)


def _points(table: pa.Table) -> tuple[npt.NDArray[np.int64], _Points]:
    mmsi = table.column("mmsi").to_numpy().astype(np.int64)
    ts = table.column("ts").cast(pa.int64()).to_numpy().astype(np.float64) / 3.6e6
    sog = np.nan_to_num(_column(table, "sog_kn"))
    pts = _Points(
        t_h=ts,
        lat=np.asarray(table.column("lat").to_numpy(), dtype=np.float64),
        lon=np.asarray(table.column("lon").to_numpy(), dtype=np.float64),
        sog=sog,
        cog_rad=np.radians(_column(table, "cog_deg")),
    )
    return mmsi, pts


def _slice(pts: _Points, lo: int, hi: int) -> _Points:
    return _Points(
        pts.t_h[lo:hi], pts.lat[lo:hi], pts.lon[lo:hi], pts.sog[lo:hi], pts.cog_rad[lo:hi]
    )


def segment(table: pa.Table, params: SegmentParams = SegmentParams()) -> pa.Table:
    """Add ``track_id`` to positions sorted by (mmsi, ts) (see :func:`~.clean.clean`)."""
    mmsi, pts = _points(table)
    k = np.zeros(table.num_rows, dtype=np.int64)
    if table.num_rows > 1:
        same = mmsi[1:] == mmsi[:-1]
        dist = haversine_m(pts.lat[:-1], pts.lon[:-1], pts.lat[1:], pts.lon[1:])
        dt_s = (pts.t_h[1:] - pts.t_h[:-1]) * 3600.0
        ok = _gate_ok(dist, dt_s, np.fmax(pts.sog[:-1], pts.sog[1:]), params)
        for m in np.unique(mmsi[1:][same & ~ok]):
            lo, hi = np.searchsorted(mmsi, [m, m + 1])
            k[lo:hi] = _Assigner(_slice(pts, lo, hi), params).run()
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

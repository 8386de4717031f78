"""Spoofing: positions a real ship cannot have produced (DESIGN §3, ``spoofing``).

Definition. The segmenter (:mod:`watchkeeper.tracks.segment`, after GFW gpsdio-segment)
splits one MMSI into tracks whenever consecutive positions imply a speed no ship can do
(25 kn plus a distance- and time-dependent allowance). Every track of an MMSI other than its
main one (the one with most positions) that has at least ``min_positions`` positions is a
spoofing event:

- ``two_places``: another track of the same MMSI reported during its time span: one MMSI
  heard from two places at once (a cloned identity, or a spoofer interleaving fake positions);
- ``impossible_jump``: no other track reported meanwhile: the positions jumped somewhere
  the ship could not reach in the time (GPS manipulation, a reassigned MMSI).

An ``impossible_jump`` needs a step into or out of the side track faster than
``min_jump_kn``; otherwise the segmenter merely restarted a track.

- ``detour``: positions that leave the track by a move its reported speed cannot explain
  (the segmenter's gate), then come back by another such move to where the ship could be
  (the move from the last position before to the first after is explained), within
  ``max_detour_h``. A position far away that is then back on track is the signature of
  position spoofing even when the segmenter keeps it in one track (one open track, nothing
  to compete with) or drops it as a one-point side track. Detours inside the span of a side
  track already reported are not repeated.
 Each finding records the
share of its positions on land. Standalone ``on_land`` findings (``report_on_land``, off by
default because the 1 km mask counts lakes, canals and narrow rivers as land): a run of at
least ``min_positions`` positions deep inland (``inland_km`` from the sea), not near a port,
on a track that is mostly at sea.
Findings of one MMSI that start at the same instant are one event with several kinds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.context.land import is_land
from watchkeeper.context.ports import PlaceIndex
from watchkeeper.detect._track import Cols, cols, runs
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import M_PER_NM, haversine_m, offset_deg
from watchkeeper.tracks.segment import SegmentParams, moves_explained

__all__ = ["SpoofParams", "detect_spoofing"]

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
_BEARINGS = np.radians(np.arange(0, 360, 22.5))


@dataclass(frozen=True)
class SpoofParams:
    """Thresholds of the spoofing detector."""

    # Side tracks with fewer positions are not reported as tracks (GFW's segmenter also
    # discards very short segments); a short jump that comes back is reported as a detour.
    min_positions: int = 3
    # "Deep inland": the land mask is 1 km; river berths and lakes sit within a few km of water.
    inland_km: float = 10.0
    # A track counts as sea-going when at least this share of its positions is on the sea.
    min_sea_share: float = 0.5
    # Positions within this distance of a port are never "on land" (river ports, docks).
    port_km: float = 20.0
    # Standalone "on land" findings. Off by default: the 1 km mask counts lakes, canals and
    # narrow rivers as land (Great Lakes, Suez, Yangtze), so only open-sea users should
    # enable it. Side tracks always report their share of positions on land.
    report_on_land: bool = False
    # A side track with no other track reporting meanwhile must be entered or left by a step
    # faster than this (GFW segmenter: ~30 kn) to be a jump; otherwise it is the segmenter
    # restarting a track, not an impossible position.
    min_jump_kn: float = 30.0
    # Detours: out and back within this time. gpsdio-segment's penalty hours (24): beyond,
    # the gate's allowance grows with the square of the hours and no longer binds.
    max_detour_h: float = 24.0
    report_detours: bool = True
    # A detour all of whose positions have a twin this close in time elsewhere on the track
    # is a garbled copy of a report another station decoded cleanly (one passes its 8-bit
    # checksum now and then), not a ship's position: noise.
    twin_s: float = 1.0
    # The rule that says whether a move is explained: the segmenter's gate (same defaults).
    gate: SegmentParams = field(default_factory=SegmentParams)

    def __post_init__(self) -> None:
        if self.min_positions < 1 or self.inland_km <= 0 or not 0 <= self.min_sea_share <= 1:
            raise ConfigError("min_positions >= 1, inland_km > 0, 0 <= min_sea_share <= 1")
        if self.max_detour_h <= 0:
            raise ConfigError("max_detour_h must be > 0")


@dataclass(frozen=True)
class _Finding:
    mmsi: int
    start: float
    end: float
    lat: float
    lon: float
    kind: str
    details: dict[str, Any]


def _entry_jump(c: Cols, lo: int, hi: int, track: int) -> dict[str, Any]:
    """Largest implied speed (kn) and distance (km) of a step of the MMSI into or out of
    ``track`` (time order, whatever track the other end is on)."""
    order = lo + np.argsort(c.t[lo:hi], kind="stable")
    tr, t, la, lo_ = c.track[order], c.t[order], c.lat[order], c.lon[order]
    into = np.flatnonzero((tr[1:] == track) != (tr[:-1] == track))
    if not len(into):
        return {}
    d = haversine_m(la[into], lo_[into], la[into + 1], lo_[into + 1])
    h = np.maximum(t[into + 1] - t[into], 1.0) / 3600.0
    k = int(np.argmax(d / h))
    return {
        "jump_km": round(float(d[k]) / 1000.0, 3),
        "implied_speed_kn": round(float(d[k] / M_PER_NM / h[k]), 1),
    }


def _track_findings(c: Cols, lo: int, hi: int, p: SpoofParams) -> list[_Finding]:
    """Side tracks of one MMSI (positions lo..hi, sorted by track and time)."""
    ids, first, counts = np.unique(c.track[lo:hi], return_index=True, return_counts=True)
    if len(ids) < 2:
        return []
    main = int(ids[np.argmax(counts)])
    out = []
    for tid, f, n in zip(ids.tolist(), first.tolist(), counts.tolist(), strict=True):
        if tid == main or n < p.min_positions:
            continue
        a, b = lo + f, lo + f + n
        t0, t1 = c.t[a], c.t[b - 1]
        others = (c.track[lo:hi] != tid) & (c.t[lo:hi] >= t0) & (c.t[lo:hi] <= t1)
        kind = "two_places" if others.any() else "impossible_jump"
        details = {"track_id": tid, "main_track_id": main, "n_positions": n}
        details |= _entry_jump(c, lo, hi, tid)
        if kind == "impossible_jump" and details.get("implied_speed_kn", 0.0) < p.min_jump_kn:
            continue
        details["on_land_share"] = round(float(is_land(c.lat[a:b], c.lon[a:b]).mean()), 3)
        out.append(
            _Finding(
                int(c.mmsi[a]),
                t0,
                t1,
                float(np.median(c.lat[a:b])),
                float(np.median(c.lon[a:b])),
                kind,
                details,
            )
        )
    return out


@dataclass(frozen=True)
class _Path:
    """One MMSI's positions in time order, whatever track they were given."""

    t: Floats
    lat: Floats
    lon: Floats
    sog: Floats

    @classmethod
    def of(cls, c: Cols, idx: npt.NDArray[np.intp]) -> _Path:
        order = idx[np.argsort(c.t[idx], kind="stable")]
        return cls(c.t[order], c.lat[order], c.lon[order], np.nan_to_num(c.sog[order]))

    def explained(self, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp], p: SpoofParams) -> Bools:
        """Whether each move a -> b is explained by the reported speed at either end."""
        d = haversine_m(self.lat[a], self.lon[a], self.lat[b], self.lon[b])
        sog = np.maximum(self.sog[a], self.sog[b])
        return moves_explained(d, self.t[b] - self.t[a], sog, p.gate)

    def step(self, a: int, b: int) -> dict[str, float]:
        d = float(haversine_m(self.lat[a], self.lon[a], self.lat[b], self.lon[b]))
        h = max(float(self.t[b] - self.t[a]), 1.0) / 3600.0
        return {"km": round(d / 1000.0, 3), "kn": round(d / M_PER_NM / h, 1)}


def _detour_spans(path: _Path, p: SpoofParams) -> list[tuple[int, int]]:
    """(first, last) index of each run of positions left and re-entered by unexplained moves,
    the move across it explained."""
    n = len(path.t)
    i = np.arange(n - 1)
    bad = np.flatnonzero(~path.explained(i, i + 1, p))
    out: list[tuple[int, int]] = []
    for k in bad.tolist():
        if out and k <= out[-1][1]:
            continue  # inside the detour just found, or its way back
        back = bad[(bad > k) & (path.t[bad] - path.t[k + 1] <= p.max_detour_h * 3600.0)]
        ok = np.flatnonzero(path.explained(np.full(len(back), k), back + 1, p))
        if len(ok):
            out.append((k + 1, int(back[ok[0]])))
    return [(a, b) for a, b in out if not _all_twinned(path.t, a, b, p.twin_s)]


def _all_twinned(t: Floats, a: int, b: int, twin_s: float) -> bool:
    """Whether every position a..b has another one outside a..b within ``twin_s``."""
    outside = np.concatenate([t[:a], t[b + 1 :]])
    if not len(outside):
        return False
    k = np.clip(np.searchsorted(outside, t[a : b + 1]), 1, len(outside) - 1)
    near = np.minimum(np.abs(outside[k - 1] - t[a : b + 1]), np.abs(outside[k] - t[a : b + 1]))
    if len(outside) == 1:
        near = np.abs(outside[0] - t[a : b + 1])
    return bool(np.all(near <= twin_s))


def _detour_findings(c: Cols, idx: npt.NDArray[np.intp], p: SpoofParams) -> list[_Finding]:
    """Detours of one MMSI (its positions ``idx`` in any order)."""
    path = _Path.of(c, idx)
    out = []
    for a, b in _detour_spans(path, p):
        details = {"n_positions": b - a + 1, "out": path.step(a - 1, a)}
        details |= {"back": path.step(b, b + 1), "reported_kn": round(float(path.sog[a - 1]), 1)}
        lat, lon = path.lat[a : b + 1], path.lon[a : b + 1]
        details["on_land_share"] = round(float(is_land(lat, lon).mean()), 3)
        out.append(
            _Finding(
                int(c.mmsi[idx[0]]),
                float(path.t[a]),
                float(path.t[b]),
                float(np.median(lat)),
                float(np.median(lon)),
                "detour",
                details,
            )
        )
    return out


def _unexplained_mmsis(c: Cols, p: SpoofParams) -> list[int]:
    """MMSIs with some move (in time order) their reported speed cannot explain."""
    order = np.lexsort((c.t, c.mmsi))
    m, t, la, lo = c.mmsi[order], c.t[order], c.lat[order], c.lon[order]
    sog = np.nan_to_num(c.sog[order])
    same = m[1:] == m[:-1]
    d = haversine_m(la[:-1], lo[:-1], la[1:], lo[1:])
    ok = moves_explained(d, t[1:] - t[:-1], np.maximum(sog[:-1], sog[1:]), p.gate)
    return [int(x) for x in np.unique(m[1:][same & ~ok])]


def _new_detours(found: list[_Finding], detours: list[_Finding]) -> list[_Finding]:
    """Detours not within the span of a finding already made for their MMSI."""
    spans = defaultdict(list)
    for f in found:
        spans[f.mmsi].append((f.start, f.end))
    return [
        d for d in detours if not any(s <= d.end and d.start <= e for s, e in spans.get(d.mmsi, []))
    ]


def _deep_inland(lat: Floats, lon: Floats, km: float) -> npt.NDArray[np.bool_]:
    """On land, and land all around at ``km / 2`` and ``km``."""
    out = is_land(lat, lon)
    for r in (km / 2, km):
        idx = np.flatnonzero(out)
        if not len(idx):
            break
        east, north = r * 1000.0 * np.sin(_BEARINGS), r * 1000.0 * np.cos(_BEARINGS)
        plat, plon = offset_deg(lat[idx, None], lon[idx, None], east[None, :], north[None, :])
        out[idx] = is_land(plat, plon).all(axis=1)
    return out


def _land_findings(c: Cols, places: PlaceIndex | None, p: SpoofParams) -> list[_Finding]:
    land = is_land(c.lat, c.lon)
    if not land.any():
        return []
    deep = np.zeros(len(land), dtype=bool)
    deep[land] = _deep_inland(c.lat[land], c.lon[land], p.inland_km)
    if places is not None and deep.any():
        idx = np.flatnonzero(deep)
        deep[idx] = ~places.within(c.lat[idx], c.lon[idx], p.port_km)
    _, inv, counts = np.unique(c.track, return_inverse=True, return_counts=True)
    sea_share = np.bincount(inv, weights=~land) / counts
    s, e = runs(deep, c.track)
    out = []
    for a, b in zip(s.tolist(), e.tolist(), strict=True):
        if b - a + 1 < p.min_positions or sea_share[inv[a]] < p.min_sea_share:
            continue
        out.append(
            _Finding(
                int(c.mmsi[a]),
                c.t[a],
                c.t[b],
                float(np.median(c.lat[a : b + 1])),
                float(np.median(c.lon[a : b + 1])),
                "on_land",
                {"track_id": int(c.track[a]), "n_positions": b - a + 1},
            )
        )
    return out


def _events(found: list[_Finding], p: SpoofParams) -> pa.Table:
    groups: dict[tuple[int, float], list[_Finding]] = defaultdict(list)
    for f in found:
        groups[(f.mmsi, f.start)].append(f)
    rows = []
    for (mmsi, start), fs in sorted(groups.items()):
        kinds = sorted({f.kind for f in fs})
        rows.append(
            event(
                "spoofing",
                mmsi,
                to_datetime(start),
                to_datetime(max(f.end for f in fs)),
                fs[0].lat,
                fs[0].lon,
                confidence=0.9 if "two_places" in kinds or len(kinds) > 1 else 0.7,
                risk=40.0,
                details={
                    "kind": kinds[0] if len(kinds) == 1 else "+".join(kinds),
                    "kinds": kinds,
                    "findings": [{"kind": f.kind, **f.details} for f in fs],
                    "params": asdict(p),
                },
            )
        )
    return events_table(rows)


def detect_spoofing(
    tracks: pa.Table, *, places: PlaceIndex | None = None, params: SpoofParams = SpoofParams()
) -> pa.Table:
    """``spoofing`` events of segmented ``tracks`` sorted by (track_id, ts)."""
    if tracks.num_rows == 0:
        return events_table([])
    c = cols(tracks)
    found: list[_Finding] = []
    split = (c.mmsi[1:] == c.mmsi[:-1]) & (c.track[1:] != c.track[:-1])
    for m in np.unique(c.mmsi[1:][split]).tolist():
        lo, hi = np.searchsorted(c.mmsi, [m, m + 1])
        found += _track_findings(c, int(lo), int(hi), params)
    if params.report_detours:
        detours = []
        for m in _unexplained_mmsis(c, params):
            lo, hi = np.searchsorted(c.mmsi, [m, m + 1])
            detours += _detour_findings(c, np.arange(lo, hi), params)
        found += _new_detours(found, detours)
    if params.report_on_land:
        found += _land_findings(c, places, params)
    return _events(found, params)

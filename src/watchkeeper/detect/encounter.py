"""Encounters: two vessels close together and nearly still while both transmit (STS).

Definition (DESIGN §3, after GFW pipe-encounters): tracks resampled to 10-minute slices
(:func:`~watchkeeper.tracks.resample.resample`); pairs within ``max_distance_m`` in the same
slice, found by a DuckDB join of each point against its own grid cell and the 8 around it
(never all pairs); runs of such slices spanning >= ``min_duration_h`` where the median speed of
*both* vessels is < ``max_speed_kn``. Beyond GFW: a run tolerates ``max_missed_slices``
missing slices, slices are global integers so runs cross midnight, and both vessels' speeds
are checked.

Not every such meeting can be an STS transfer (issue "findings that hold on real traffic"):

- **Service contacts.** When either vessel is harbour craft (tug, tow, pilot, tender, SAR...)
  or carries people (passenger, high-speed craft, sailing, pleasure), or both declare AIS
  type "other" (:func:`watchkeeper.context.vessel_types.sts_pair_reason`), the meeting is
  dropped; ``keep_service = True`` keeps it with ``details.service = true``, a
  ``details.reason`` and risk 0. A vessel of unknown type stays a candidate, its confidence
  multiplied by ``unknown_type_factor``.
- **In port.** Within ``min_place_km`` of a port or anchorage area that is not offshore, the
  meeting is dropped, as GFW does: on the NOAA 2020-01-01 day (three US coasts) 17,613 of
  17,616 such runs were in ports and marinas, and keeping them would bury the findings.
  ``keep_in_port = True`` keeps them instead, with ``details.in_port = true``, the place
  named and risk 0. Near an *offshore* place (a lightering or STS area far from shore) the
  encounter stays a finding, with the place named.
- Every event lists the place lists it was checked against (``details.places_checked``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.context.ports import PlaceIndex
from watchkeeper.context.vessel_types import VesselClass, sts_pair_reason, vessel_class
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import haversine_m
from watchkeeper.tracks.resample import ResampleParams

__all__ = [
    "EncounterParams",
    "close_pairs",
    "detect_encounters",
    "encounters_of_pairs",
    "slow_tracks",
    "sort_pairs",
]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class EncounterParams:
    """Thresholds of the encounter detector."""

    max_distance_m: float = 500.0  # GFW encounters: 500 m
    min_duration_h: float = 2.0  # GFW encounters: 2 h
    max_speed_kn: float = 2.0  # GFW encounters: median speed < 2 kn (here: both vessels)
    min_place_km: float = 10.0  # GFW encounters: within 10 km of a port/anchorage (in_port)
    # A vessel that never sent its type stays an STS candidate (going without static data is
    # itself a tactic) at lower confidence: on the NOAA 2020-01-01 day 82 % of the typed
    # vessels were of no STS class (2,516 of 3,054), so a missing type leaves the reading
    # unconfirmed. One fifth off per unknown side keeps such a pair below a typed pair of the
    # same length while a long meeting still passes 0.5.
    unknown_type_factor: float = 0.8
    # Meetings in ports and anchorages (not offshore): dropped (False, GFW) or kept with
    # details.in_port = true and risk 0 (True) for an analyst who wants to see them.
    keep_in_port: bool = False
    # Service contacts (a tug alongside a tanker, a pilot boat, a ferry at its berth): dropped
    # (False) or kept with details.service = true and risk 0 (True). On the NOAA 2020-01-01
    # day both kept ones were a tug or tug-barge alongside a tanker or barge (lightering).
    keep_service: bool = False
    # Holes inside a run: slices where the pair is not known to be close (one vessel not
    # received and not bridged by the resampler). GFW merges runs < 4 h apart; DESIGN §3
    # asks at least for one missed slice. 3 slices (30 min): one satellite pass missed.
    max_missed_slices: int = 3
    # The meeting began and ended somewhere in the silence around the observed run: credit it
    # this share of the time to the nearest other sighting of either vessel (0.5: the
    # expected middle, as for loitering; 0: observed span only), up to max_edge_h each side.
    edge_share: float = 0.5
    max_edge_h: float = 6.0  # AIS-gap threshold (DESIGN §3): longer silences are not credited
    min_observed_h: float = 0.5  # two separate looks, not one satellite pass (12 min)
    cell_deg: float = 0.01  # grid cell (1.1 km of latitude; must exceed max_distance_m)
    step_s: int = ResampleParams().step_s

    def __post_init__(self) -> None:
        if self.cell_deg * 111_000 < self.max_distance_m:
            raise ConfigError("cell_deg must be wider than max_distance_m")
        if self.max_missed_slices < 0 or self.min_duration_h <= 0:
            raise ConfigError("max_missed_slices >= 0 and min_duration_h > 0 required")
        if not 0.0 <= self.edge_share <= 0.5 or self.max_edge_h < 0 or self.min_observed_h < 0:
            raise ConfigError("edge_share in [0, 0.5], max_edge_h >= 0, min_observed_h >= 0")
        if not 0.0 < self.unknown_type_factor <= 1.0:
            raise ConfigError("unknown_type_factor must be in (0, 1]")


# Longitude cells widen with latitude (power-of-two multiples that divide the globe evenly)
# so that every cell stays wider than the search distance; the probe side computes the cell
# of each neighbouring row with that row's width, which keeps the 3x3 block exact. Cells are
# numbered in numpy; DuckDB joins the integer keys (slice, row, column) of each point's 9
# probe cells against the home cell of every other point.


def _row_width(r: Ints, cell: float) -> tuple[Ints, Ints]:
    """Width (in cells) and number of longitude cells of grid row ``r``."""
    edge = np.maximum(np.abs(r * cell), np.abs((r + 1) * cell))
    polar = edge >= 88.0
    stretch = 1.0 / np.cos(np.radians(np.where(polar, 0.0, edge)))
    w = np.where(polar, round(1.0 / cell), 2.0 ** np.ceil(np.log2(stretch))).astype(np.int64)
    return w, np.maximum(1, (360.0 / cell / w).astype(np.int64))


#: Probe cells (row offset, column offset): the point's own cell and the half of its
#: neighbours "after" it. Every pair of neighbouring cells is probed once from one side, so
#: each pair of points is found once (twice in the same cell, where one copy is dropped).
_HALF = ((0, 0), (0, 1), (1, -1), (1, 0), (1, 1))


def _cell_keys(rs: pa.Table, cell: float) -> tuple[Ints, list[Ints]]:
    """Integer key of each point's home cell in its slice, and of its probe cells."""
    lat = rs.column("lat").to_numpy()
    lon = rs.column("lon").to_numpy()
    k = rs.column("slice").to_numpy()
    cy = np.floor(lat / cell).astype(np.int64)
    n_x = round(360.0 / cell) + 1
    base = ((k - k.min()) * (round(180.0 / cell) + 4) + (cy - cy.min() + 1)) * n_x

    rows = np.arange(cy.min() - 1, cy.max() + 2, dtype=np.int64)
    width, count = _row_width(rows, cell)  # per grid row, looked up by offset

    def column(r: Ints) -> tuple[Ints, Ints]:
        w, n = width[r - rows[0]], count[r - rows[0]]
        return np.floor((lon + 180.0) / (cell * w)).astype(np.int64) % n, n

    cols = {dy: column(cy + dy) for dy in (0, 1)}
    home = base + cols[0][0]
    probes = [base + dy * n_x + (cols[dy][0] + dx + cols[dy][1]) % cols[dy][1] for dy, dx in _HALF]
    return home, probes


_PAIRS = """
SELECT q.i AS qi, h.i AS hi
FROM probe q JOIN home h ON h.key = q.key
WHERE q.i < h.i OR NOT q.own
"""


def close_pairs(resampled: pa.Table, params: EncounterParams = EncounterParams()) -> pa.Table:
    """(a, b, slice, ...) for every pair of tracks within ``max_distance_m`` in one slice."""
    none = np.empty(0, np.int64)
    if resampled.num_rows == 0:
        return _pairs_table(resampled, none, none, params.max_distance_m)
    home, probes = _cell_keys(resampled, params.cell_deg)
    n = resampled.num_rows
    idx = np.arange(n, dtype=np.int64)
    own = np.zeros(n * len(probes), dtype=bool)
    own[:n] = True  # the first probe is the point's own cell
    con = duckdb.connect()
    try:
        con.register("home", pa.table({"key": home, "i": idx}))
        probe = {"key": np.concatenate(probes), "i": np.tile(idx, len(probes)), "own": own}
        con.register("probe", pa.table(probe))
        del probe, probes
        found = con.sql(_PAIRS).to_arrow_table()
    finally:
        con.close()
    qi, hi = found.column("qi").to_numpy(), found.column("hi").to_numpy()
    mmsi = resampled.column("mmsi").to_numpy()
    other = mmsi[qi] != mmsi[hi]
    return _pairs_table(resampled, qi[other], hi[other], params.max_distance_m)


def _pairs_table(rs: pa.Table, qi: Ints, hi: Ints, max_m: float) -> pa.Table:
    """Candidate pairs (q, h) within ``max_m``, with both positions, sorted by (a, b, slice)."""
    col = {n: rs.column(n).to_numpy(zero_copy_only=False) for n in rs.column_names}
    dist = haversine_m(col["lat"][qi], col["lon"][qi], col["lat"][hi], col["lon"][hi])
    near = dist <= max_m
    qi, hi, dist = qi[near], hi[near], dist[near]
    flip = col["track_id"][qi] > col["track_id"][hi]  # a is the track with the smaller id
    qi, hi = np.where(flip, hi, qi), np.where(flip, qi, hi)
    order = np.lexsort((col["slice"][qi], col["track_id"][hi], col["track_id"][qi]))
    qi, hi, dist = qi[order], hi[order], dist[order]
    out: dict[str, Any] = {"a": col["track_id"][qi], "b": col["track_id"][hi]}
    out |= {"mmsi_a": col["mmsi"][qi], "mmsi_b": col["mmsi"][hi], "slice": col["slice"][qi]}
    for side, i in (("a", qi), ("b", hi)):
        out |= {f"lat_{side}": col["lat"][i], f"lon_{side}": col["lon"][i]}
        out[f"sog_{side}"] = pa.array(col["sog_kn"][i], pa.float32(), from_pandas=True)
    return pa.table({**out, "dist_m": dist})


def _pair_runs(pairs: pa.Table, params: EncounterParams) -> tuple[Ints, Ints]:
    """Index ranges [s, e] of runs of close slices per pair (holes up to max_missed_slices)."""
    a = pairs.column("a").to_numpy()
    b = pairs.column("b").to_numpy()
    k = pairs.column("slice").to_numpy()
    if not len(k):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    hole = k[1:] - k[:-1] > 1 + params.max_missed_slices
    new = np.concatenate([[True], (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | hole])
    starts = np.flatnonzero(new)
    return starts, np.append(starts[1:], len(k)) - 1


def _sighting_keys(resampled: pa.Table) -> tuple[Ints, Ints, int]:
    """Sorted keys (track rank, slice) of every known slice, the sorted track ids, and the
    first slice: lets :func:`_silence` find a track's previous or next known slice."""
    tid = resampled.column("track_id").to_numpy()
    k = resampled.column("slice").to_numpy()
    k0 = int(k.min()) if len(k) else 0
    if len(tid) and np.all(tid[1:] >= tid[:-1]):  # resample's order: no sort needed
        first = np.concatenate([[True], tid[1:] != tid[:-1]])
        tracks, rank = tid[first], np.cumsum(first) - 1
    else:
        tracks, rank = np.unique(tid, return_inverse=True)
    keys = rank.astype(np.int64) * _SPAN + (k - k0)
    return (keys if np.all(keys[1:] >= keys[:-1]) else np.sort(keys)), tracks, k0


_SPAN = 1 << 30  # slices per track in a key: 20,000 years of 10-minute slices


def _silence(keys: tuple[Ints, Ints, int], track: Ints, k: Ints, after: bool) -> Ints:
    """Slices from ``k`` to the track's previous (or next) known slice; huge when none."""
    sorted_keys, tracks, k0 = keys
    key = np.searchsorted(tracks, track).astype(np.int64) * _SPAN + (k - k0)
    if after:
        i = np.searchsorted(sorted_keys, key, side="right")
        nxt = sorted_keys[np.minimum(i, len(sorted_keys) - 1)]
        ok = (i < len(sorted_keys)) & (nxt // _SPAN == key // _SPAN)
        return np.where(ok, nxt - key, _SPAN)
    i = np.searchsorted(sorted_keys, key, side="left") - 1
    prv = sorted_keys[np.maximum(i, 0)]
    ok = (i >= 0) & (prv // _SPAN == key // _SPAN)
    return np.where(ok, key - prv, _SPAN)


def _edges(
    keys: tuple[Ints, Ints, int], col: dict[str, Any], s: Ints, e: Ints, params: EncounterParams
) -> tuple[Floats, Floats]:
    """Estimated start and end of runs: the observed span plus ``edge_share`` of the silence
    of the less-seen vessel before and after it (both vessels must be seen to be together)."""
    k0, k1 = col["slice"][s], col["slice"][e]
    ta, tb = col["a"][s], col["b"][s]
    before = np.maximum(_silence(keys, ta, k0, False), _silence(keys, tb, k0, False))
    after = np.maximum(_silence(keys, ta, k1, True), _silence(keys, tb, k1, True))
    step = float(params.step_s)
    limit = params.max_edge_h * 3600.0

    def credit(n: Ints) -> Floats:
        secs = n.astype(np.float64) * step
        return np.where(secs <= limit, secs * params.edge_share, 0.0)

    return k0 * step - credit(before), k1 * step + credit(after)


def _ever_slow(rs: pa.Table, v: float) -> pa.Table:
    """Only the tracks with some slice slower than ``v`` (or of unknown speed): a run's
    median speed can be below ``v`` only if one of its slices is, so this changes no result
    and spares the join every ship that sailed all the time."""
    low = rs.group_by("track_id").aggregate([("sog_kn", "min")])
    fast = pc.greater_equal(low.column("sog_kn_min"), pa.scalar(v, pa.float32()))
    slow = low.column("track_id").filter(pc.invert(pc.fill_null(fast, False)))
    return rs.filter(pc.is_in(rs.column("track_id"), value_set=slow.combine_chunks()))


def _median_sog(x: Any) -> float:
    v = np.asarray(x, dtype=float)
    return float(np.nanmedian(v)) if np.isfinite(v).any() else 0.0


def detect_encounters(
    resampled: pa.Table,
    *,
    places: PlaceIndex | None = None,
    ship_types: Mapping[int, int] | None = None,
    params: EncounterParams = EncounterParams(),
) -> pa.Table:
    """``encounter`` events from resampled tracks (see :func:`close_pairs`).

    ``ship_types`` maps MMSI to its AIS ship type (last non-zero report); missing: unknown.
    """
    slow = slow_tracks(resampled, params)
    return encounters_of_pairs(close_pairs(slow, params), slow, places, ship_types, params)


def slow_tracks(resampled: pa.Table, params: EncounterParams = EncounterParams()) -> pa.Table:
    """The resampled tracks that can meet (some slice slower than ``max_speed_kn``): all
    the detector reads, per track, so the tracks of several MMSI groups concatenate."""
    return _ever_slow(resampled, params.max_speed_kn)


def sort_pairs(pairs: pa.Table) -> pa.Table:
    """Pairs (:func:`close_pairs`, found in several tiles) in :func:`close_pairs`' order."""
    a, b, k = (pairs.column(n).to_numpy() for n in ("a", "b", "slice"))
    return pairs.take(pa.array(np.lexsort((k, b, a))))


def encounters_of_pairs(
    pairs: pa.Table,
    sightings: pa.Table,
    places: PlaceIndex | None,
    ship_types: Mapping[int, int] | None,
    params: EncounterParams,
) -> pa.Table:
    """``encounter`` events of close ``pairs`` (sorted by a, b, slice) and ``sightings`` (the
    :func:`slow_tracks` points of at least the pairs' tracks, sorted by track, slice)."""
    s, e = _pair_runs(pairs, params)
    if not len(s):
        return events_table([])
    col = {n: pairs.column(n).to_numpy(zero_copy_only=False) for n in pairs.column_names}
    observed = (col["slice"][e] - col["slice"][s]) * params.step_s
    keep = observed >= params.min_observed_h * 3600.0
    s, e = s[keep], e[keep]
    t0, t1 = _edges(_sighting_keys(sightings), col, s, e, params)
    keep = t1 - t0 >= params.min_duration_h * 3600.0
    s, e, t0, t1 = s[keep], e[keep], t0[keep], t1[keep]
    still = _still(col, s, e, params)
    s, e, t0, t1 = s[still], e[still], t0[still], t1[still]
    lat, lon = _centres(col, s, e)
    where = _Where.of(places, lat, lon, params)
    types = ship_types or {}
    keep = np.ones(len(s), dtype=bool) if params.keep_in_port else ~where.in_port()
    if not params.keep_service:
        pairs_ok = [
            sts_pair_reason(types.get(int(col["mmsi_a"][i])), types.get(int(col["mmsi_b"][i])))
            is None
            for i in s.tolist()
        ]
        keep &= np.array(pairs_ok, dtype=bool)
    rows = [
        _event(
            col, int(s[k]), int(e[k]), (float(t0[k]), float(t1[k])), where.at(int(k)), types, params
        )
        for k in np.flatnonzero(keep)
    ]
    return events_table(rows)


def _still(col: dict[str, Any], s: Ints, e: Ints, params: EncounterParams) -> npt.NDArray[np.bool_]:
    """Runs where the median speed of both vessels is below ``max_speed_kn``."""
    ok = [
        max(_median_sog(col["sog_a"][i : j + 1]), _median_sog(col["sog_b"][i : j + 1]))
        < params.max_speed_kn
        for i, j in zip(s.tolist(), e.tolist(), strict=True)
    ]
    return np.array(ok, dtype=bool)


def _centres(col: dict[str, Any], s: Ints, e: Ints) -> tuple[Floats, Floats]:
    """Mean position of each run (both vessels' latitudes, vessel a's longitude)."""
    lat = [
        (col["lat_a"][i : j + 1].mean() + col["lat_b"][i : j + 1].mean()) / 2
        for i, j in zip(s.tolist(), e.tolist(), strict=True)
    ]
    lon = [col["lon_a"][i : j + 1].mean() for i, j in zip(s.tolist(), e.tolist(), strict=True)]
    return np.array(lat, dtype=np.float64), np.array(lon, dtype=np.float64)


@dataclass(frozen=True)
class _Place:
    """Where an encounter happened, as far as the place lists know."""

    lat: float
    lon: float
    name: str | None = None
    kind: str | None = None
    km: float | None = None
    offshore: bool = False
    in_port: bool = False


@dataclass(frozen=True)
class _Where:
    """The nearest place of every run, looked up once for all runs (vectorised)."""

    lat: Floats
    lon: Floats
    dist: Floats
    idx: Ints
    places: PlaceIndex | None
    near_km: float

    @classmethod
    def of(cls, places: PlaceIndex | None, lat: Floats, lon: Floats, p: EncounterParams) -> _Where:
        if places is None:
            return cls(lat, lon, np.full(len(lat), np.inf), np.full(len(lat), -1), None, 0.0)
        # the nearest port names the place of a meeting in port; else the nearest offshore one
        dist, idx = places.nearest(lat, lon, max_km=p.min_place_km, ports_only=True)
        far = idx < 0
        if far.any():
            d2, i2 = places.nearest(lat[far], lon[far], max_km=p.min_place_km)
            dist[far], idx[far] = d2, i2
        return cls(lat, lon, dist, idx, places, p.min_place_km)

    def in_port(self) -> npt.NDArray[np.bool_]:
        """Whether each run lies within reach of a place that is not offshore."""
        if self.places is None:
            return np.zeros(len(self.lat), dtype=bool)
        return self.places.within(self.lat, self.lon, self.near_km)

    @property
    def checked(self) -> list[str]:
        return [] if self.places is None else self.places.sources  # cached by the index

    def at(self, k: int) -> tuple[_Place, list[str]]:
        lat, lon = float(self.lat[k]), float(self.lon[k])
        i = int(self.idx[k])
        if self.places is None or i < 0 or not self.dist[k] <= self.near_km:
            return _Place(lat, lon), self.checked
        pl = self.places.places.slice(i, 1).to_pylist()[0]
        offshore = bool(pl["offshore"])
        km = round(float(self.dist[k]), 3)
        found = _Place(lat, lon, pl["name"], pl["kind"], km, offshore, not offshore)
        return found, self.checked


def _event(
    col: dict[str, Any],
    s: int,
    e: int,
    span: tuple[float, float],
    where: tuple[_Place, list[str]],
    types: Mapping[int, int],
    params: EncounterParams,
) -> dict[str, Any]:
    """The event of pair run s..e (vessels still, see :func:`_still`) at ``where``."""
    place, checked = where
    sl = slice(s, e + 1)
    sog_a, sog_b = _median_sog(col["sog_a"][sl]), _median_sog(col["sog_b"][sl])
    ma, mb = sorted((int(col["mmsi_a"][s]), int(col["mmsi_b"][s])))
    ta, tb = types.get(ma), types.get(mb)
    hours = (span[1] - span[0]) / 3600.0
    observed_h = float(col["slice"][e] - col["slice"][s]) * params.step_s / 3600.0
    confidence = min(1.0, 0.6 + observed_h / 10.0)
    classes = [vessel_class(ta), vessel_class(tb)]
    confidence *= params.unknown_type_factor ** classes.count(VesselClass.UNKNOWN)
    service = sts_pair_reason(ta, tb)
    details: dict[str, Any] = {
        "duration_h": round(hours, 3),
        "observed_h": round(observed_h, 3),
        "observed_start": to_datetime(float(col["slice"][s] * params.step_s)).isoformat(),
        "observed_end": to_datetime(float(col["slice"][e] * params.step_s)).isoformat(),
        "median_distance_m": float(np.median(col["dist_m"][sl])),
        "median_sog_kn": [sog_a, sog_b],
        "n_slices": int(e - s + 1),
        "tracks": [int(col["a"][s]), int(col["b"][s])],
        "ship_types": [ta, tb],
        "classes": [c.value for c in classes],
        "service": service is not None,
        "in_port": place.in_port,
        "place": place.name,
        "place_kind": place.kind,
        "place_km": place.km,
        "offshore_place": place.offshore,
        "places_checked": checked,
    }
    reasons = [r for r in (service, _port_reason(place)) if r]
    if reasons:
        details["reason"] = "; ".join(reasons)
    details["params"] = params.__dict__
    return event(
        "encounter",
        ma,
        to_datetime(span[0]),
        to_datetime(span[1]),
        place.lat,
        place.lon,
        other=mb,
        confidence=round(confidence, 4),
        risk=0.0 if reasons else 20.0,
        details=details,
    )


def _port_reason(place: _Place) -> str | None:
    if place.in_port:
        return f"in port: {place.km} km from {place.kind} {place.name}"
    return None

"""Which reports reach the data: transmission schedule, terrestrial and satellite reception.

Vessels transmit on the ITU-R M.1371 schedule (thinned to a one-minute feed, as MarineCadastre
publishes); a report is received by a coastal station within VHF range, else only during a
satellite pass. Passes are shared by all vessels, so satellite gaps are correlated (the cue
that tells a reception gap from a ship switching off). Dark periods and outages drop reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.schema import IDENTITIES, POSITIONS, TIMESTAMP
from watchkeeper.simulate.scenario import STATIONS
from watchkeeper.simulate.traffic import Identity, Vessel

__all__ = [
    "SOURCE_NAMES",
    "IdentityStates",
    "ReceptionConfig",
    "SatelliteSchedule",
    "concat_raw",
    "covered",
    "identities_table",
    "identity_reports",
    "position_reports",
    "positions_table",
]

F64 = npt.NDArray[np.float64]
_UNITS = 600_000.0  # AIS position resolution: 1/10000 minute
SATELLITES = ("rSAT1", "rSAT2", "rSAT3")
SOURCE_NAMES = [s[0] for s in STATIONS] + list(SATELLITES)
_ST_LAT = np.array([s[1] for s in STATIONS])
_ST_LON = np.array([s[2] for s in STATIONS])


@dataclass(frozen=True)
class ReceptionConfig:
    """Reporting and reception parameters (sources in docs/simulator.md)."""

    class_a_underway_s: float = 60.0  # MarineCadastre: class A thinned to one per minute
    class_a_moored_s: float = 180.0  # ITU-R M.1371: at anchor / moored every 3 min
    class_b_s: float = 180.0  # class B CS: every 3 min below 2 kn, 30 s above; feeds thin it
    static_s: float = 360.0  # ITU-R M.1371: static and voyage data every 6 min
    terrestrial_range_m: float = 74_000.0  # ~40 nm VHF range of a coastal station
    terrestrial_loss: float = 0.08  # slot collisions, fading
    sat_gap_mean_s: float = 3_600.0  # passes: exponential gaps; largest daily gap ~4 h median
    sat_pass_s: float = 720.0  # a low-orbit pass sees a ship for ~10-15 min
    sat_p_class_a: float = 0.5  # chance a class A report is decoded in a pass
    sat_p_class_b: float = 0.2  # class B (2 W) is much weaker from orbit
    outage_box: tuple[float, float, float, float] = (
        27.0,
        123.5,
        33.0,
        127.5,
    )  # lat0 lon0 lat1 lon1
    outage_h: tuple[float, float] = (12.0, 20.0)  # a regional satellite outage (benign gaps)
    # Areas outside the satellite feed (lat0, lon0, lat1, lon1): only coastal stations hear
    # ships there (scenario.SAT_BLIND, set when the scenario has its confounders).
    sat_blind: tuple[tuple[float, float, float, float], ...] = ()
    position_noise_m: float = 6.0  # GNSS noise, 1 sigma
    sog_noise_kn: float = 0.1


@dataclass(frozen=True)
class SatelliteSchedule:
    """Satellite pass windows and one regional outage, shared by all vessels."""

    starts: F64
    ends: F64
    outage: tuple[float, float]

    @classmethod
    def make(
        cls, cfg: ReceptionConfig, duration_s: float, rng: np.random.Generator
    ) -> SatelliteSchedule:
        """Draw passes over ``[-1 day, duration + 1 day]`` and the outage window."""
        gaps = rng.exponential(cfg.sat_gap_mean_s, int(duration_s / cfg.sat_gap_mean_s * 3) + 200)
        starts = -86_400.0 + np.cumsum(gaps + cfg.sat_pass_s)
        starts = starts[starts < duration_s + 86_400.0]
        t0 = float(rng.uniform(0.15, 0.6)) * duration_s
        out = (t0, t0 + float(rng.uniform(*cfg.outage_h)) * 3600.0)
        return cls(starts, starts + cfg.sat_pass_s, out)

    def in_pass(self, ts: F64) -> npt.NDArray[np.bool_]:
        """Whether each time falls in a pass."""
        i = np.searchsorted(self.starts, ts, side="right") - 1
        ok = i >= 0
        return ok & (ts < self.ends[np.clip(i, 0, None)])


def _terrestrial(
    lat: F64, lon: F64, range_m: float
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
    """Whether each position is within ``range_m`` of a coastal station, and the nearest one."""
    # Flat-Earth distance is plenty for a 74 km range test.
    dy = (lat[:, None] - _ST_LAT[None, :]) * 111_320.0
    dx = (lon[:, None] - _ST_LON[None, :]) * 111_320.0 * np.cos(np.radians(lat))[:, None]
    d2 = dx * dx + dy * dy
    nearest = np.argmin(d2, axis=1)
    return d2[np.arange(lat.size), nearest] < range_m**2, nearest


def _in_boxes(
    lat: F64, lon: F64, boxes: tuple[tuple[float, float, float, float], ...]
) -> npt.NDArray[np.bool_]:
    out = np.zeros(lat.size, dtype=bool)
    for la0, lo0, la1, lo1 in boxes:
        out |= (lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)
    return out


def covered(
    lat: F64, lon: F64, range_m: float, sat_blind: tuple[tuple[float, float, float, float], ...]
) -> npt.NDArray[np.bool_]:
    """Whether a ship at each position can be heard at all: by a coastal station, or by the
    satellite feed outside its blind areas (passes and outages aside)."""
    near, _ = _terrestrial(lat, lon, range_m)
    return near | ~_in_boxes(lat, lon, sat_blind)


def _candidates(
    v: Vessel, lo: float, hi: float, cfg: ReceptionConfig, rng: np.random.Generator
) -> F64:
    """Transmission times in ``[lo, hi)``: a jittered grid, thinned when moored."""
    step = cfg.class_b_s if v.ais_class == "B" else cfg.class_a_underway_s
    ts = np.arange(lo + float(rng.uniform(0, step)), hi, step)
    ts = ts + rng.uniform(-0.2, 0.2, ts.size) * step
    ts = ts[(ts >= lo) & (ts < hi)]
    if v.ais_class == "A":
        _, _, _, _, status = v.track.sample(ts)
        moored = np.isin(status, (1, 5))
        keep = ~moored | (rng.random(ts.size) < step / cfg.class_a_moored_s)
        ts = ts[keep]
    return np.sort(np.floor(ts))


def _silent(v: Vessel, ts: F64) -> npt.NDArray[np.bool_]:
    off = np.zeros(ts.size, dtype=bool)
    for a, b in (*v.dark, *v.outages):
        off |= (ts >= a) & (ts < b)
    return off


def _receive(
    v: Vessel,
    ts: F64,
    lat: F64,
    lon: F64,
    cfg: ReceptionConfig,
    sat: SatelliteSchedule,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int16]]:
    """Which reports are received, and by which station (index; satellites after stations)."""
    terrestrial, nearest = _terrestrial(lat, lon, cfg.terrestrial_range_m)
    u = rng.random((2, ts.size))
    got_t = terrestrial & (u[0] >= cfg.terrestrial_loss)
    p_sat = cfg.sat_p_class_b if v.ais_class == "B" else cfg.sat_p_class_a
    la0, lo0, la1, lo1 = cfg.outage_box
    blacked = (ts >= sat.outage[0]) & (ts < sat.outage[1]) & (lat >= la0) & (lat <= la1)
    blacked &= (lon >= lo0) & (lon <= lo1)
    got_s = ~terrestrial & sat.in_pass(ts) & ~blacked & (u[1] < p_sat)
    if cfg.sat_blind:
        got_s &= ~_in_boxes(lat, lon, cfg.sat_blind)
    sat_idx = len(STATIONS) + rng.integers(0, len(SATELLITES), ts.size)
    station = np.where(terrestrial, nearest, sat_idx).astype(np.int16)
    return (got_t | got_s) & ~_silent(v, ts), station


def _spoofed(v: Vessel, ts: F64, lat: F64, lon: F64) -> tuple[F64, F64]:
    for a, b, dlat, dlon in v.spoof:
        m = (ts >= a) & (ts < b)
        lat = np.where(m, lat + dlat, lat)
        lon = np.where(m, lon + dlon, lon)
    return lat, lon


Raw = dict[str, npt.NDArray[Any]]


def position_reports(
    v: Vessel,
    lo: float,
    hi: float,
    cfg: ReceptionConfig,
    sat: SatelliteSchedule,
    rng: np.random.Generator,
) -> Raw:
    """The received position reports of one hull in ``[lo, hi)`` as raw numpy columns."""
    ts = _candidates(v, lo, hi, cfg, rng)
    lat, lon, sog, cog, status = v.track.sample(ts)
    n = ts.size
    noise = rng.normal(0, 1, (5, n))
    u = rng.uniform(0, 1, (3, n))
    lat = lat + noise[0] * cfg.position_noise_m / 111_320.0
    lon = lon + noise[1] * cfg.position_noise_m / 111_320.0 / np.cos(np.radians(lat))
    got, station = _receive(v, ts, lat, lon, cfg, sat, rng)
    lat, lon = _spoofed(v, ts, lat, lon)
    moving = sog > 0.3
    sog = np.where(moving, sog + noise[2] * cfg.sog_noise_kn, u[0] * 0.2)
    cog = np.where(moving, cog + noise[3] * 1.5, u[1] * 360) % 360
    heading = np.round(np.where(moving, cog + noise[4] * 3, u[2] * 360)) % 360
    m = got
    k = int(m.sum())
    class_b = v.ais_class == "B"
    return {
        "mmsi": np.full(k, v.mmsi, np.int64),
        "ts": np.round(ts[m]),
        # units / 600000 as a decoder computes it (times 1/600000 is 1 ulp off at times:
        # 121.68 became 121.67999999999999, in another grid cell than the NMEA's 121.68)
        "lat": np.round(lat[m] * _UNITS) / _UNITS,
        "lon": np.round(lon[m] * _UNITS) / _UNITS,
        "sog_kn": np.round(np.clip(sog[m], 0, 102.2), 1).astype(np.float32),
        "cog_deg": (np.round(cog[m], 1) % 360).astype(np.float32),
        "heading_deg": heading[m].astype(np.int16),
        "nav_status": status[m].astype(np.int8),
        "class_b": np.full(k, class_b),
        "station": station[m],
    }


def concat_raw(parts: list[Raw]) -> Raw:
    """Join raw column dicts (same keys)."""
    keys = parts[0].keys() if parts else []
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def positions_table(raw: Raw, t0: float) -> pa.Table:
    """Raw columns -> a POSITIONS table sorted by time then MMSI."""
    if not raw or raw["ts"].size == 0:
        return POSITIONS.empty_table()
    order = np.lexsort((raw["mmsi"], raw["ts"]))
    b = raw["class_b"][order]
    cols = {
        "mmsi": pa.array(raw["mmsi"][order]),
        "ts": pa.array(((raw["ts"][order] + t0) * 1000).astype(np.int64), TIMESTAMP),
        "lat": pa.array(raw["lat"][order]),
        "lon": pa.array(raw["lon"][order]),
        "sog_kn": pa.array(raw["sog_kn"][order]),
        "cog_deg": pa.array(raw["cog_deg"][order]),
        "heading_deg": pa.array(raw["heading_deg"][order], mask=b),
        "nav_status": pa.array(raw["nav_status"][order], mask=b),
        "msg_type": pa.array(np.where(b, 18, 1).astype(np.int8)),
        "ais_class": _dict_strings(b.astype(np.int16), ["A", "B"]),
        "source": _dict_strings(raw["station"][order], SOURCE_NAMES),
        "quality": pa.array(np.zeros(order.size, np.int16)),
        "line": pa.nulls(order.size, pa.int64()),  # simulated: no source file
    }
    return pa.table(cols, schema=POSITIONS)


def _dict_strings(codes: npt.NDArray[Any], names: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(names, pa.string())
    ).cast(pa.string())


@dataclass
class IdentityStates:
    """Every identity any hull ever broadcasts, numbered; per hull, when each one starts."""

    rows: list[tuple[Vessel, Identity]] = field(default_factory=list)
    since: list[F64] = field(default_factory=list)
    ids: list[npt.NDArray[np.int64]] = field(default_factory=list)

    @classmethod
    def of(cls, vessels: list[Vessel]) -> IdentityStates:
        """Number the identity states of ``vessels`` (index i is vessel i)."""
        out = cls()
        for v in vessels:
            out.since.append(np.array([t for t, _ in v.identities], dtype=np.float64))
            out.ids.append(np.arange(len(out.rows), len(out.rows) + len(v.identities)))
            out.rows.extend((v, ident) for _, ident in v.identities)
        return out

    def at(self, i: int, ts: F64) -> npt.NDArray[np.int64]:
        """State ids of vessel ``i`` at times ``ts``."""
        k = np.clip(np.searchsorted(self.since[i], ts, side="right") - 1, 0, None)
        return self.ids[i][k]

    def table(
        self, state: npt.NDArray[np.int64], ts_ms: npt.NDArray[np.int64], station: npt.NDArray[Any]
    ) -> pa.Table:
        """An IDENTITIES table for reports of the given states at the given times."""
        if state.size == 0:
            return IDENTITIES.empty_table()
        uniq, inv = np.unique(state, return_inverse=True)
        recs = []
        for s in uniq:
            v, ident = self.rows[int(s)]
            a = v.ais_class == "A"
            recs.append(
                {
                    "mmsi": v.mmsi,
                    "imo": ident.imo,
                    "name": ident.name,
                    "callsign": ident.callsign,
                    "ship_type": ident.ship_type,
                    "length_m": float(round(v.length_m)),
                    "beam_m": float(round(v.beam_m)),
                    "draught_m": ident.draught_m if a else None,
                    "destination": ident.destination if a else None,
                    "eta": None,
                    "msg_type": 5 if a else 24,
                }
            )
        base = pa.Table.from_pylist(recs).take(pa.array(inv))
        cols = {f.name: base.column(f.name) for f in IDENTITIES if f.name in base.column_names}
        cols["ts"] = pa.array(ts_ms, TIMESTAMP)
        cols["source"] = _dict_strings(station, SOURCE_NAMES)
        cols["line"] = pa.nulls(len(ts_ms), pa.int64())  # simulated: no source file
        cols["ts_last"] = cols["ts"]  # each row one report
        cols["n_reports"] = pa.array(np.ones(len(ts_ms), np.int32))
        return pa.table({f.name: cols[f.name] for f in IDENTITIES}, schema=IDENTITIES)


def identity_reports(
    i: int,
    v: Vessel,
    lo: float,
    hi: float,
    states: IdentityStates,
    cfg: ReceptionConfig,
    sat: SatelliteSchedule,
    rng: np.random.Generator,
) -> Raw:
    """Received static reports (type 5 class A, type 24 class B) of hull ``i``: raw columns."""
    ts = np.floor(np.arange(lo + float(rng.uniform(0, cfg.static_s)), hi, cfg.static_s))
    lat, lon, *_ = v.track.sample(ts)
    got, station = _receive(v, ts, lat, lon, cfg, sat, rng)
    ts = ts[got]
    return {"ts": ts, "state": states.at(i, ts), "station": station[got]}


def identities_table(raw: Raw, states: IdentityStates, t0: float) -> pa.Table:
    """Raw static reports -> an IDENTITIES table sorted by time."""
    if not raw or raw["ts"].size == 0:
        return IDENTITIES.empty_table()
    order = np.lexsort((raw["state"], raw["ts"]))
    ts_ms = ((raw["ts"][order] + t0) * 1000).astype(np.int64)
    return states.table(raw["state"][order], ts_ms, raw["station"][order])

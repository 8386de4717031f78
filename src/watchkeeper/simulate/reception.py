"""Which reports reach the data: transmission schedule, terrestrial and satellite reception.

Vessels transmit on the ITU-R M.1371 schedule (thinned to a one-minute feed, as MarineCadastre
publishes); a report is received by a coastal station within VHF range, else only during a
satellite pass. Passes are shared by all vessels, so satellite gaps are correlated (the cue
that tells a reception gap from a ship switching off). Dark periods and outages drop reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.schema import IDENTITIES, POSITIONS
from watchkeeper.simulate._geo import distance_m
from watchkeeper.simulate.scenario import STATIONS
from watchkeeper.simulate.traffic import Vessel

__all__ = ["ReceptionConfig", "SatelliteSchedule", "identity_reports", "position_reports"]

F64 = npt.NDArray[np.float64]
DEG = 1.0 / 600_000.0  # AIS position resolution: 1/10000 minute


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
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int32]]:
    """Which reports are received, and by which station (index; -1 = satellite)."""
    st_lat = np.array([s[1] for s in STATIONS])
    st_lon = np.array([s[2] for s in STATIONS])
    d = distance_m(lat[:, None], lon[:, None], st_lat[None, :], st_lon[None, :])
    nearest = np.argmin(d, axis=1).astype(np.int32)
    terrestrial = d[np.arange(ts.size), nearest] < cfg.terrestrial_range_m
    got_t = terrestrial & (rng.random(ts.size) >= cfg.terrestrial_loss)
    p_sat = cfg.sat_p_class_b if v.ais_class == "B" else cfg.sat_p_class_a
    la0, lo0, la1, lo1 = cfg.outage_box
    blacked = (ts >= sat.outage[0]) & (ts < sat.outage[1]) & (lat >= la0) & (lat <= la1)
    blacked &= (lon >= lo0) & (lon <= lo1)
    got_s = ~terrestrial & sat.in_pass(ts) & ~blacked & (rng.random(ts.size) < p_sat)
    station = np.where(terrestrial, nearest, -1).astype(np.int32)
    return (got_t | got_s) & ~_silent(v, ts), station


def _spoofed(v: Vessel, ts: F64, lat: F64, lon: F64) -> tuple[F64, F64]:
    for a, b, dlat, dlon in v.spoof:
        m = (ts >= a) & (ts < b)
        lat = np.where(m, lat + dlat, lat)
        lon = np.where(m, lon + dlon, lon)
    return lat, lon


def _station_names(station: npt.NDArray[np.int32], rng: np.random.Generator) -> pa.Array:
    names = np.array([s[0] for s in STATIONS] + ["rSAT1", "rSAT2", "rSAT3"], dtype=object)
    sat_idx = len(STATIONS) + rng.integers(0, 3, station.size)
    return pa.array(names[np.where(station >= 0, station, sat_idx)], pa.string())


def position_reports(
    v: Vessel,
    lo: float,
    hi: float,
    t0: float,
    cfg: ReceptionConfig,
    sat: SatelliteSchedule,
    rng: np.random.Generator,
) -> pa.Table:
    """The received position reports of one hull in ``[lo, hi)`` (POSITIONS schema)."""
    ts = _candidates(v, lo, hi, cfg, rng)
    lat, lon, sog, cog, status = v.track.sample(ts)
    n = ts.size
    lat = lat + rng.normal(0, cfg.position_noise_m / 111_320.0, n)
    lon = lon + rng.normal(0, cfg.position_noise_m / 111_320.0, n) / np.cos(np.radians(lat))
    got, station = _receive(v, ts, lat, lon, cfg, sat, rng)
    lat, lon = _spoofed(v, ts, lat, lon)
    moving = sog > 0.3
    sog = np.where(moving, sog + rng.normal(0, cfg.sog_noise_kn, n), rng.uniform(0, 0.2, n))
    cog = np.where(moving, cog + rng.normal(0, 1.5, n), rng.uniform(0, 360, n)) % 360
    heading = np.round(np.where(moving, cog + rng.normal(0, 3, n), rng.uniform(0, 360, n))) % 360
    m = got
    class_b = v.ais_class == "B"
    cols = {
        "mmsi": pa.array(np.full(int(m.sum()), v.mmsi, np.int64)),
        "ts": pa.array(((ts[m] + t0) * 1000).astype(np.int64), pa.timestamp("ms", tz="UTC")),
        "lat": pa.array(np.round(lat[m] / DEG) * DEG),
        "lon": pa.array(np.round(lon[m] / DEG) * DEG),
        "sog_kn": pa.array(np.round(np.clip(sog[m], 0, 102.2), 1).astype(np.float32)),
        "cog_deg": pa.array(np.round(cog[m], 1).astype(np.float32) % np.float32(360)),
        "heading_deg": pa.array(heading[m].astype(np.int16), mask=np.full(int(m.sum()), class_b)),
        "nav_status": pa.array(
            np.where(class_b, 15, status[m]).astype(np.int8), mask=np.full(int(m.sum()), class_b)
        ),
        "msg_type": pa.array(np.full(int(m.sum()), 18 if class_b else 1, np.int8)),
        "ais_class": pa.array(np.full(int(m.sum()), v.ais_class, object), pa.string()),
        "source": _station_names(station[m], rng),
        "quality": pa.array(np.zeros(int(m.sum()), np.int16)),
    }
    return pa.table(cols, schema=POSITIONS)


def identity_reports(
    v: Vessel,
    lo: float,
    hi: float,
    t0: float,
    cfg: ReceptionConfig,
    sat: SatelliteSchedule,
    rng: np.random.Generator,
) -> pa.Table:
    """The received static reports (type 5 for class A, 24 for class B) in ``[lo, hi)``."""
    ts = np.arange(lo + float(rng.uniform(0, cfg.static_s)), hi, cfg.static_s).astype(np.float64)
    ts = np.floor(ts)
    lat, lon, *_ = v.track.sample(ts)
    got, station = _receive(v, ts, lat, lon, cfg, sat, rng)
    ts, station = ts[got], station[got]
    rows: dict[str, list[object]] = {name: [] for name in IDENTITIES.names}
    for t in ts:
        ident = v.identity_at(float(t))
        rows["mmsi"].append(v.mmsi)
        rows["ts"].append(int((t + t0) * 1000))
        rows["imo"].append(ident.imo)
        rows["name"].append(ident.name)
        rows["callsign"].append(ident.callsign)
        rows["ship_type"].append(ident.ship_type)
        rows["length_m"].append(float(round(v.length_m)))
        rows["beam_m"].append(float(round(v.beam_m)))
        rows["draught_m"].append(ident.draught_m if v.ais_class == "A" else None)
        rows["destination"].append(ident.destination if v.ais_class == "A" else None)
        rows["eta"].append(None)
        rows["msg_type"].append(24 if v.ais_class == "B" else 5)
    table = pa.table(
        {k: rows[k] for k in IDENTITIES.names if k != "source"}
        | {"source": _station_names(station, rng)},
        schema=IDENTITIES,
    )
    return table

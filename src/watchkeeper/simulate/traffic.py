"""Vessel kinematics: piecewise-linear tracks built from sea routes, anchor waits and fishing.

A :class:`Track` is a handful of knots (time, lat, lon, navigational status); positions at any
report times come from vectorised interpolation (:meth:`Track.sample`), so millions of reports
never become Python objects. Routes between ports come from ``searoute`` (they do not cross land).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import searoute

from watchkeeper.simulate._geo import KN, bearing_deg, distance_m, offset
from watchkeeper.simulate.scenario import Port

__all__ = ["Identity", "Track", "TrackBuilder", "Vessel", "sea_path"]

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Identity:
    """What a vessel says about itself in type 5 / 24 reports from a given time on."""

    name: str
    imo: int | None
    callsign: str
    ship_type: int
    draught_m: float
    destination: str


@dataclass
class Track:
    """Knots of a piecewise-linear trajectory; ``status[i]`` holds from knot i to i+1."""

    t: F64
    lat: F64
    lon: F64
    status: npt.NDArray[np.int8]

    def __post_init__(self) -> None:
        dt = np.diff(self.t)
        seg_m = distance_m(self.lat[:-1], self.lon[:-1], self.lat[1:], self.lon[1:])
        self._sog = np.where(dt > 0, seg_m / np.where(dt > 0, dt, 1.0) / KN, 0.0)
        self._cog = bearing_deg(self.lat[:-1], self.lon[:-1], self.lat[1:], self.lon[1:])

    def sample(self, ts: F64) -> tuple[F64, F64, F64, F64, npt.NDArray[np.int8]]:
        """Latitude, longitude, speed (kn), course (deg) and status at times ``ts``."""
        n = len(self.t)
        i = np.searchsorted(self.t, ts, side="right") - 1
        np.clip(i, 0, n - 2, out=i)
        t0, t1 = self.t[i], self.t[i + 1]
        dt = t1 - t0
        f = np.where(dt > 0, (ts - t0) / np.where(dt > 0, dt, 1.0), 0.0)
        np.clip(f, 0.0, 1.0, out=f)
        lat0, lon0 = self.lat[i], self.lon[i]
        lat = lat0 + f * (self.lat[i + 1] - lat0)
        lon = lon0 + f * (self.lon[i + 1] - lon0)
        return lat, lon, self._sog[i], self._cog[i], self.status[i]


class TrackBuilder:
    """Extends a track leg by leg from a current time and place (all times in seconds)."""

    def __init__(self, t: float, lat: float, lon: float) -> None:
        self._t, self._lat, self._lon = [t], [lat], [lon]
        self._status: list[int] = []

    @property
    def now(self) -> float:
        """Time of the last knot."""
        return self._t[-1]

    @property
    def here(self) -> tuple[float, float]:
        """Position of the last knot."""
        return self._lat[-1], self._lon[-1]

    def _add(self, t: float, lat: float, lon: float, status: int) -> None:
        self._status.append(status)
        self._t.append(t)
        self._lat.append(lat)
        self._lon.append(lon)

    def hold(self, duration_s: float, status: int = 1) -> None:
        """Stay put (at anchor, moored): the receiver-side jitter is added at sampling."""
        self._add(self.now + max(duration_s, 1.0), *self.here, status)

    def drift(self, duration_s: float, speed_kn: float, bearing: float, status: int = 0) -> None:
        """Drift slowly in a straight line (STS pairs and fishing vessels lying to)."""
        lat, lon = offset(*self.here, bearing, speed_kn * KN * duration_s)
        self._add(self.now + max(duration_s, 1.0), float(lat), float(lon), status)

    def follow(self, lats: F64, lons: F64, speed_kn: float, status: int = 0) -> None:
        """Sail along a polyline at constant speed."""
        plat, plon = self.here
        for la, lo in zip(lats, lons, strict=True):
            d = float(distance_m(plat, plon, la, lo))
            if d < 1.0:
                continue
            self._add(self.now + d / (speed_kn * KN), float(la), float(lo), status)
            plat, plon = float(la), float(lo)

    def goto(self, lat: float, lon: float, speed_kn: float, status: int = 0) -> None:
        """Sail straight to a point."""
        self.follow(np.array([lat]), np.array([lon]), speed_kn, status)

    def sail(self, lat: float, lon: float, speed_kn: float, status: int = 0) -> None:
        """Sail to a point by sea (searoute), never across land."""
        lats, lons = sea_path(self.here, (lat, lon))
        self.follow(lats, lons, speed_kn, status)

    def fish_until(
        self, t_end: float, box: tuple[float, float, float], rng: np.random.Generator
    ) -> None:
        """Trawl a random walk at 2.5-4.5 kn inside a fishing ground until ``t_end``."""
        clat, clon, half = box
        heading = float(rng.uniform(0, 360))
        while self.now < t_end:
            dur = min(float(rng.uniform(1200, 3600)), t_end - self.now)
            heading = (heading + float(rng.normal(0, 50))) % 360
            speed = float(rng.uniform(2.5, 4.5))
            lat, lon = offset(*self.here, heading, speed * KN * dur)
            if abs(lat - clat) > half or abs(lon - clon) > half:
                heading = float(bearing_deg(*self.here, clat, clon))
                lat, lon = offset(*self.here, heading, speed * KN * dur)
            self._add(self.now + max(dur, 1.0), float(lat), float(lon), 7)

    def wait_until(self, t: float, status: int = 1) -> None:
        """Hold until time ``t`` (no-op if already later)."""
        if t > self.now:
            self.hold(t - self.now, status)

    def build(self) -> Track:
        """The finished track (a final hold is appended so sampling past the end is defined)."""
        self.hold(86_400.0 * 365, self._status[-1] if self._status else 15)
        return Track(
            t=np.array(self._t, dtype=np.float64),
            lat=np.array(self._lat, dtype=np.float64),
            lon=np.array(self._lon, dtype=np.float64),
            status=np.array(self._status, dtype=np.int8),
        )


@functools.lru_cache(maxsize=4096)
def _searoute(a: tuple[float, float], b: tuple[float, float]) -> tuple[F64, F64]:
    feat = searoute.searoute([a[1], a[0]], [b[1], b[0]])
    coords = np.asarray(feat["geometry"]["coordinates"], dtype=np.float64)
    return coords[:, 1], coords[:, 0]


def sea_path(a: tuple[float, float], b: tuple[float, float]) -> tuple[F64, F64]:
    """Waypoints (lat, lon) from ``a`` to ``b`` on searoute's sea-lane network, ends included."""
    ra = (round(a[0], 3), round(a[1], 3))
    rb = (round(b[0], 3), round(b[1], 3))
    lats, lons = _searoute(ra, rb)
    return (
        np.concatenate([[a[0]], lats, [b[0]]]),
        np.concatenate([[a[1]], lons, [b[1]]]),
    )


@dataclass
class Vessel:
    """One simulated hull and what it broadcasts; ``mmsi`` may be shared with another hull."""

    key: str
    mmsi: int
    ais_class: str
    role: str
    flag: str
    length_m: float
    beam_m: float
    track: Track
    identities: list[tuple[float, Identity]]
    dark: list[tuple[float, float]] = field(default_factory=list)
    outages: list[tuple[float, float]] = field(default_factory=list)
    spoof: list[tuple[float, float, float, float]] = field(default_factory=list)
    illicit: bool = False
    sanctioned: bool = False
    decoy: bool = False

    def identity_at(self, t: float) -> Identity:
        """The identity broadcast at time ``t``."""
        current = self.identities[0][1]
        for since, ident in self.identities:
            if since <= t:
                current = ident
        return current


def port_by_name(ports: tuple[Port, ...], name: str) -> Port:
    """Look a port up by name."""
    return next(p for p in ports if p.name == name)

"""Confounders: innocent traffic that looks like the planted cases (docs/simulator.md).

On real traffic the detectors' false accusations come from situations a clean simulator lacks:
ferries berthed side by side for hours in small ports that no place list knows, yachts moored
together in marinas, harbour craft alongside ships in port, bunkering at anchorages, ships that
sail out of the receivers' range (their silence is coverage, not intent) and US-flag vessels
whose IMO field carries a Coast Guard documentation number. Each one is built here and recorded
as a :class:`~watchkeeper.simulate.fleet.Decoy`: the event types it must *not* produce.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from watchkeeper.simulate._geo import KN, bearing_deg, distance_m, offset
from watchkeeper.simulate.fleet import Decoy, FleetBuilder, Stay
from watchkeeper.simulate.reception import ReceptionConfig, covered
from watchkeeper.simulate.scenario import (
    FERRY_ROUTES,
    ISHIGAKI_ROUTE,
    MARINAS,
    NAHA_ROUTE,
    PORTS,
    SAT_BLIND,
    STATIONS,
    ConfounderConfig,
    FerryRoute,
    Marina,
    Port,
)
from watchkeeper.simulate.traffic import Identity, TrackBuilder, Vessel

__all__ = ["CONTACT_KINDS", "Confounders", "confounder_places", "contact_decoys"]

H = 3600.0
F64 = npt.NDArray[np.float64]
LOCAL_MIDNIGHT_S = -9 * H  # the scenario starts at 00:00 UTC = 09:00 in Korea and Japan
#: Role of a confounder vessel -> decoy kind and the event types its contacts must not produce.
CONTACT_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ferry": ("ferry_berth", ("encounter", "dark_sts", "loitering")),
    "yacht": ("marina", ("encounter", "dark_sts", "loitering")),
    "tug": ("harbour_craft", ("encounter", "dark_sts")),
    "tender": ("harbour_craft", ("encounter", "dark_sts")),
    "pilot": ("harbour_craft", ("encounter", "dark_sts")),
    "bunker": ("bunkering", ("encounter", "dark_sts")),
}
_MIDS = {"CN": (412, 413, 414), "KR": (440, 441), "JP": (431, 432), "TW": (416,), "US": (366,)}


def confounder_places(cfg: ConfounderConfig) -> list[tuple[float, float]]:
    """Where confounder vessels legitimately stop (ferry terminals, marinas, Naha): places the
    truth knows although no list does, so stops there are not truth loitering events."""
    if not cfg.enabled:
        return []
    pts = [pt for r in FERRY_ROUTES[: cfg.ferry_routes] for pt in (r.a, r.b)]
    pts += [(m.lat, m.lon) for m in MARINAS[: cfg.marinas]]
    ends = [NAHA_ROUTE[-1], ISHIGAKI_ROUTE[-1]]  # outside the lists and the satellite feed
    return [*pts, *ends] if cfg.coverage_exits else pts


class Confounders:
    """Builds the confounder vessels into ``fb`` and their decoys into ``fb.decoys``."""

    def __init__(self, fb: FleetBuilder, cfg: ConfounderConfig) -> None:
        self.fb, self.cfg, self.rng, self.end = fb, cfg, fb.rng, fb.end

    def build(self) -> None:
        """Every confounder of the config, in a fixed order (deterministic per seed)."""
        c = self.cfg
        for route in FERRY_ROUTES[: c.ferry_routes]:
            self.ferries(route)
        for marina in MARINAS[: c.marinas]:
            self.marina(marina)
        for port in self._busiest(c.harbour_ports):
            self.harbour_craft(port)
        for k in range(c.coverage_exits):
            self.coverage_exit(first=k == 0)
        for _ in range(c.us_merchants):
            v = self.fb.merchant(
                str(self.rng.choice(["cargo", "tanker"])), ("US", (366, 367, 368, 369)), 0
            )
            self._us_documented(v)

    # -- identities ---------------------------------------------------------------------

    def _vessel(
        self,
        role: str,
        flag: str,
        mids: tuple[int, ...],
        b: TrackBuilder,
        ident: Identity,
        *,
        ais_class: str = "A",
        length: float = 30.0,
    ) -> Vessel:
        mmsi = self.fb.new_mmsi(mids)
        v = Vessel(
            f"{role}-{mmsi}", mmsi, ais_class, role, flag, length, length / 4, b.build(),
            [(-1e9, ident)],
        )  # fmt: skip
        self.fb.vessels.append(v)
        return v

    def _doc_number(self) -> int:
        """A US Coast Guard documentation number: 6-7 digits (NVDC official numbers run from
        the 500,000s to past 1,200,000), written by many US vessels into the AIS IMO field."""
        return int(self.rng.integers(500_000, 1_300_000))

    def _us_documented(self, v: Vessel) -> None:
        doc = self._doc_number()
        v.identities = [(t, Identity(**{**i.__dict__, "imo": doc})) for t, i in v.identities]
        self._record_doc(v, v.identities[0][1])

    # -- ferries ------------------------------------------------------------------------

    def ferries(self, route: FerryRoute) -> None:
        """A passenger ferry and a high-speed craft on one crossing, berthed side by side at
        terminal A overnight and over a midday break (island ferries: first sailing ~07:00,
        last arrival before ~20:30 local)."""
        r = self.rng
        quay = float(r.uniform(0, 360))
        specs = (
            ("FERRY", int(r.choice([60, 69])), float(r.uniform(12, 16)), 60.0),  # passenger
            ("JET", int(r.choice([40, 49])), float(r.uniform(25, 32)), 35.0),  # high-speed
        )
        for k, (word, ship_type, speed, length) in enumerate(specs):
            slot_a = _pt(offset(*route.a, quay, 25.0 * k))  # ferries ~12 m wide: alongside
            slot_b = _pt(offset(*route.b, quay, 25.0 * k))
            b = TrackBuilder(-12 * H, *slot_a)
            self._timetable(b, slot_a, slot_b, speed, 1.5 * k)
            ident = Identity(
                f"{route.name} {word} {k + 1}", self.fb.new_imo(), self.fb.callsign(route.flag),
                ship_type, round(length / 25, 1), route.name,
            )  # fmt: skip
            self._vessel("ferry", route.flag, route.mids, b, ident, length=length)

    def _timetable(
        self,
        b: TrackBuilder,
        a: tuple[float, float],
        far: tuple[float, float],
        speed: float,
        later_h: float,
    ) -> None:
        r = self.rng
        cross = float(distance_m(*a, *far)) / (speed * KN)
        day = -1
        while b.now < self.end + 12 * H:
            midnight = LOCAL_MIDNIGHT_S + day * 86_400.0
            day += 1
            dep = midnight + (7.0 + later_h + float(r.uniform(0, 0.3))) * H
            if dep < b.now:
                continue
            b.wait_until(dep, 5)
            rested = False
            while b.now + 2 * cross + 1.5 * H < midnight + 20.5 * H:
                b.goto(*far, speed)
                b.hold(float(r.uniform(0.4, 1.0)) * H, 5)
                b.goto(*a, speed)
                midday = b.now - midnight > 11.5 * H
                b.hold(
                    float(r.uniform(2, 4) if midday and not rested else r.uniform(0.4, 1)) * H, 5
                )
                rested = rested or midday

    # -- marinas ------------------------------------------------------------------------

    def marina(self, m: Marina) -> None:
        """Class B yachts on one pontoon, 12 m apart, and a US-flag class A motor yacht; on
        a third of the days each goes for a sail of a few hours and comes back."""
        r = self.rng
        pontoon = float(r.uniform(0, 360))
        n = self.cfg.yachts_per_marina
        for k in range(n + 1):
            slot = _pt(offset(m.lat, m.lon, pontoon, 12.0 * k))
            b = TrackBuilder(-12 * H, *slot)
            for day in range(int(self.end // 86_400) + 1):
                if r.random() < 1 / 3:
                    t = LOCAL_MIDNIGHT_S + day * 86_400.0 + float(r.uniform(9, 11)) * H
                    if t > b.now:
                        b.wait_until(t, 5)
                        out = offset(*slot, float(r.choice(m.sea_bearings)), r.uniform(6e3, 14e3))
                        speed = float(r.uniform(4, 7))
                        b.goto(*_pt(out), speed, 8)  # 8: under way sailing
                        b.goto(*slot, speed, 8)
            us = k == n
            name = f"{'SEA' if us else m.name} {self.fb.new_name('yacht')}"[:20]
            flag, mids = ("US", (366, 367, 368, 369)) if us else ("KR", (440, 441))
            ident = Identity(
                name, self._doc_number() if us else None, self.fb.callsign(flag),
                37 if us else int(r.choice([36, 37])), 2.0 if us else 1.8, m.name,
            )  # fmt: skip
            v = self._vessel(
                "yacht", flag, mids, b, ident, ais_class="A" if us else "B",
                length=24.0 if us else float(r.uniform(9, 16)),
            )  # fmt: skip
            if us:
                self._record_doc(v, ident)

    def _record_doc(self, v: Vessel, ident: Identity) -> None:
        self.fb.decoys.append(
            Decoy(
                "us_documentation_number", ("identity_change",), v.mmsi, None, 0.0, None,
                float(v.track.lat[0]), float(v.track.lon[0]),
                details={"imo_field": ident.imo, "flag": "US"},
            )
        )  # fmt: skip

    # -- harbour craft ------------------------------------------------------------------

    def _busiest(self, n: int) -> list[Port]:
        count: dict[str, int] = {}
        for w in self.fb.berths:
            count[w.port.name] = count.get(w.port.name, 0) + 1
        names = sorted(count, key=lambda k: (-count[k], k))[:n]
        return [p for p in PORTS if p.name in names]

    def harbour_craft(self, port: Port) -> None:
        """A tug standing by ships as they berth (1.5-3 h alongside), a port tender alongside
        ships at the anchorage (2-4 h: stores, water, crew) and two pilot boats that lie side
        by side at their station between boardings (15-25 min alongside)."""
        r = self.rng
        mids = _MIDS.get(port.country, (412, 413, 414))
        berths = sorted((w for w in self.fb.berths if w.port is port), key=lambda w: w.t0)
        waits = sorted((w for w in self.fb.waits if w.port is port), key=lambda w: w.t0)
        upper = port.name.upper()
        self._craft("tug", 52, f"{upper} TUG", port, port.berth, berths, (1.5, 3.0), False, mids)
        self._craft("tender", 53, f"{upper} TENDER", port, port.anchorage, waits, (2.0, 4.0),
                    False, mids)  # fmt: skip
        station = _pt(offset(*port.anchorage, float(r.uniform(0, 360)), 2_000.0))
        for k in range(2):
            self._craft("pilot", 50, f"{upper} PILOT {k + 1}", port, station, waits[k::2],
                        (0.25, 0.4), True, mids, slot=12.0 * k)  # fmt: skip

    def _craft(
        self,
        role: str,
        ship_type: int,
        name: str,
        port: Port,
        near: tuple[float, float],
        jobs: list[Stay],
        hours: tuple[float, float],
        at_departure: bool,
        mids: tuple[int, ...],
        slot: float = 0.0,
    ) -> None:
        r = self.rng
        base = (
            _pt(offset(*near, 45.0, 1_500.0 + slot))
            if role != "pilot"
            else _pt(offset(*near, 90.0, slot))
        )
        b = TrackBuilder(-6 * H, *base)
        for w in jobs:
            t = (w.t1 - 0.4 * H) if at_departure else (w.t0 + 0.2 * H)
            dur = float(r.uniform(*hours)) * H
            if t < b.now + 0.3 * H or t + dur > (w.t1 if not at_departure else w.t1 + H):
                continue
            side = _pt(offset(w.lat, w.lon, float(r.uniform(0, 360)), float(r.uniform(20, 40))))
            travel = float(distance_m(*b.here, *side)) / (8 * KN)
            b.wait_until(t - travel, 5)
            b.goto(*side, 8.0)
            b.hold(dur, 0)
            b.goto(*base, 8.0)
        ident = Identity(
            name[:20], None, self.fb.callsign(port.country), ship_type, 3.0, upper(port)
        )
        self._vessel(role, port.country, mids, b, ident, length=25.0 if role == "pilot" else 32.0)

    # -- coverage edge ------------------------------------------------------------------

    def coverage_exit(self, *, first: bool) -> None:
        """A ship leaves Keelung at 12-15 kn and falls silent ~74 km out (no satellite feed
        east of Taiwan). The first one, bound for Ishigaki and back within the data, passes a
        tanker that drifts near the coverage edge waiting for orders for 6-14 h, starting
        between 8 h before and 10 h after its silence begins (on real data such a partner
        had left 10 h before the drift began); the others are bound for Naha."""
        r = self.rng
        keel = next(p for p in PORTS if p.name == "Keelung")
        speed = float(r.uniform(12, 15))
        t_dep = float(r.uniform(14, 24) if first else r.uniform(2, self.end / H - 8)) * H
        route, dest = (ISHIGAKI_ROUTE, "ISHIGAKI") if first else (NAHA_ROUTE, "NAHA")
        b = TrackBuilder(-6 * H, *keel.berth)
        b.wait_until(t_dep, 5)
        b.goto(*keel.anchorage, 8.0)
        for wp in route:
            b.goto(*wp, speed)
        b.hold(float(r.uniform(6, 12)) * H, 5)
        for wp in reversed(route[:-1]):
            b.goto(*wp, speed)
        b.goto(*keel.anchorage, speed)
        b.goto(*keel.berth, 7.0)
        flag = str(r.choice(["TW", "JP", "PA"]))
        mids = _MIDS.get(flag, (351, 352, 353))
        ident = Identity(
            self.fb.new_name("cargo"), self.fb.new_imo(), self.fb.callsign(flag),
            int(r.integers(70, 75)), 6.5, dest,
        )  # fmt: skip
        v = self._vessel("cargo", flag, mids, b, ident, length=float(r.uniform(100, 160)))
        exits = self._silences(v, t_dep)
        for a, z in exits:
            lat, lon, *_ = v.track.sample(np.array([a]))
            self.fb.decoys.append(
                Decoy("coverage_exit", ("ais_gap_deliberate", "dark_sts"), v.mmsi, None, a, z,
                      float(lat[0]), float(lon[0]), details={"bound_for": dest})
            )  # fmt: skip
        if first and exits:
            self._drifting_tanker(v, t_dep, exits[0][0], keel)

    def _silences(self, v: Vessel, t_dep: float) -> list[tuple[float, float | None]]:
        """Spans >= 1 h after ``t_dep`` where neither a coastal station nor the satellite feed
        can hear ``v`` (the reception model's own test)."""
        ts = np.arange(t_dep, self.end, 60.0)
        lat, lon, *_ = v.track.sample(ts)
        heard = covered(lat, lon, ReceptionConfig().terrestrial_range_m, SAT_BLIND)
        edges = np.diff(np.r_[0, (~heard).astype(np.int8), 0])
        out: list[tuple[float, float | None]] = []
        for a, z in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if (z - a) * 60.0 >= H:
                out.append((float(ts[a]), float(ts[z]) if z < ts.size else None))
        return out

    def _drifting_tanker(self, partner: Vessel, t_dep: float, t_silent: float, keel: Port) -> None:
        r = self.rng
        st = next(s for s in STATIONS if s[0] == "rKEELUNG")
        ts = np.arange(t_dep, t_silent, 60.0)
        lat, lon, *_ = partner.track.sample(ts)
        d = distance_m(lat, lon, st[1], st[2])
        i = int(np.argmax(d >= float(r.uniform(52_000, 62_000))))
        spot = _pt(offset(lat[i], lon[i], float(r.uniform(0, 360)), float(r.uniform(500, 3000))))
        start = max(t_silent + float(r.uniform(-8, 10)) * H, 3 * H)
        dur = float(r.uniform(6, 14)) * H
        b = TrackBuilder(-6 * H, *keel.berth)
        travel = float(distance_m(*keel.anchorage, *spot)) / (11 * KN) + 1_800.0
        b.wait_until(start - travel, 5)
        b.goto(*keel.anchorage, 8.0)
        b.goto(*spot, 11.0)
        b.wait_until(start, 0)
        toward_shore = float(bearing_deg(*spot, st[1], st[2])) + float(r.uniform(-60, 60))
        b.drift(dur, float(r.uniform(0.1, 0.5)), toward_shore, 0)  # stays inside coverage
        ningbo = next(p for p in PORTS if p.name == "Ningbo-Zhoushan")
        b.sail(*ningbo.anchorage, 11.0)
        b.hold(12 * H, 1)
        ident = Identity(
            self.fb.new_name("tanker"), self.fb.new_imo(), self.fb.callsign("PA"),
            int(r.integers(80, 85)), 7.5, "FOR ORDERS",
        )  # fmt: skip
        v = self._vessel(
            "tanker", "PA", (351, 352, 353), b, ident, length=float(r.uniform(90, 180))
        )
        self.fb.decoys.append(
            Decoy("coverage_exit_near_loitering", ("dark_sts",), v.mmsi, partner.mmsi, start,
                  start + dur, *spot, details={"partner_silent_at_h": round(t_silent / H, 2)})
        )  # fmt: skip


def upper(port: Port) -> str:
    """A port's name as an AIS destination."""
    return port.name.upper()[:20]


def _pt(p: tuple[F64, F64] | tuple[float, float]) -> tuple[float, float]:
    return float(p[0]), float(p[1])


def contact_decoys(vessels: list[Vessel], end: float, step_s: float = 600.0) -> list[Decoy]:
    """Every span >= 1 h where a confounder vessel (ferry, yacht, harbour craft, bunker barge)
    lies within 500 m of another vessel, both under 2 kn (GFW's encounter thresholds, with
    half its 2 h minimum so that any shorter detector is caught too)."""
    ts = np.arange(0.0, end + 1, step_s)
    tracks = [v.track.sample(ts) for v in vessels]
    lat = np.array([t[0] for t in tracks])
    lon = np.array([t[1] for t in tracks])
    slow = np.array([t[2] for t in tracks]) < 2.0
    out: list[Decoy] = []
    for i, v in enumerate(vessels):
        if v.role not in CONTACT_KINDS:
            continue
        kind, types = CONTACT_KINDS[v.role]
        d = distance_m(lat[i][None, :], lon[i][None, :], lat, lon)
        near = (d < 500.0) & slow & slow[i][None, :]
        for j in np.flatnonzero(near.sum(axis=1) >= H / step_s):
            o = vessels[int(j)]
            if j == i or o.mmsi == v.mmsi or (o.role in CONTACT_KINDS and j < i):
                continue
            edges = np.diff(np.r_[0, near[j].astype(np.int8), 0])
            for a, z in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
                if (z - a) * step_s >= H:
                    out.append(
                        Decoy(kind, types, v.mmsi, o.mmsi, float(ts[a]),
                              float(ts[z]) if z < ts.size else None,
                              float(lat[i][a]), float(lon[i][a]), details={"role": v.role})
                    )  # fmt: skip
    return out

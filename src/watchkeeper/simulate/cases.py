"""Planted cases: the sanctions-evasion tactics documented by the UN Panel of Experts, OFAC and
C4ADS (DOMAIN.md), each with seed-dependent parameters (places, times, durations, distances).

Every case adds vessels to the fleet and :class:`TruthNote` facts for ``truth.json``; generic
facts (gaps, loitering, port visits, zone entries) are derived later from the tracks themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from shapely import contains_xy

from watchkeeper.simulate._geo import KN, distance_m, offset
from watchkeeper.simulate.fleet import FleetBuilder, TruthNote
from watchkeeper.simulate.scenario import PORTS, ZONES, Port
from watchkeeper.simulate.traffic import Identity, TrackBuilder, Vessel, sea_path

__all__ = ["CASES", "Listing", "plant_cases"]

H = 3600.0
HOTSPOT_MIN_LON = 122.5
#: Flags of convenience seen in DPRK cases (UN Panel of Experts): Togo, Sierra Leone,
#: Mongolia, Palau, Comoros, Cambodia, Belize, Tanzania.
FOC: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("TG", (671,)),
    ("SL", (667,)),
    ("MN", (457,)),
    ("PW", (511,)),
    ("KM", (616, 620)),
    ("KH", (514, 515)),
    ("BZ", (312,)),
    ("TZ", (674, 677)),
)
_KO = (
    "CHON",
    "MA",
    "SAN",
    "PAEK",
    "RYE",
    "SONG",
    "GANG",
    "KUM",
    "UN",
    "YU",
    "JONG",
    "BONG",
    "HAE",
    "RYONG",
    "NAM",
    "PO",
    "MYONG",
    "SAE",
    "BYOL",
    "JI",
    "HYANG",
    "AN",
    "SAM",
)


@dataclass(frozen=True)
class Listing:
    """One sanctions-list entry (FollowTheMoney ``Vessel``)."""

    entity_id: str
    name: str
    previous_names: tuple[str, ...]
    imo: int | None
    mmsi: int | None
    flag: str
    present_mmsi: int | None  # the MMSI it broadcasts in the scenario (None: not present)


@dataclass
class CaseBook:
    """What the cases produced besides vessels: truth notes and the sanctions list."""

    listings: list[Listing] = field(default_factory=list)
    decoy_of: dict[int, str] = field(default_factory=dict)


def _hotspot_point(rng: np.random.Generator) -> tuple[float, float]:
    ring = ZONES["sts_hotspot_ecs"]
    x0, y0, x1, y1 = ring.bounds
    while True:
        lon, lat = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        # East of 122.5 E the ring is open sea (checked on the 1 km land mask by a test);
        # the mask itself costs 1 GB of memory, too much to load here.
        if lon >= HOTSPOT_MIN_LON and contains_xy(ring, lon, lat):
            return lat, lon


def _path_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lats, lons = sea_path(a, b)
    return float(np.sum(distance_m(lats[:-1], lons[:-1], lats[1:], lons[1:])))


def _port(name: str) -> Port:
    return next(p for p in PORTS if p.name == name)


def _ko_name(rng: np.random.Generator) -> str:
    a, b = rng.choice(_KO, 2, replace=False)
    return f"{a} {b} {int(rng.integers(1, 20))}" if rng.random() < 0.6 else f"{a} {b}"


class _Cases:
    """Each method plants one case; ``fb`` holds the vessels, ``book`` the list and decoys."""

    def __init__(self, fb: FleetBuilder) -> None:
        self.fb = fb
        self.rng = fb.rng
        self.end = fb.end
        self.book = CaseBook()

    # -- helpers -------------------------------------------------------------------------

    def tanker(
        self, key: str, flag: tuple[str, tuple[int, ...]], builder: TrackBuilder, **kw: object
    ) -> Vessel:
        """A case tanker with a fresh identity (overridable through ``kw``)."""
        r, fb = self.rng, self.fb
        length = float(r.uniform(70, 140))
        ident = Identity(
            name=str(kw.pop("name", fb.new_name("tanker"))),
            imo=kw.pop("imo", fb.new_imo()),  # type: ignore[arg-type]
            callsign=fb.callsign(flag[0]),
            ship_type=int(r.integers(80, 85)),
            draught_m=round(length / 25.0, 1),
            destination=str(kw.pop("destination", "")),
        )
        v = Vessel(
            f"{key}-{len(fb.vessels)}",
            fb.new_mmsi(flag[1]),
            "A",
            "tanker",
            flag[0],
            length,
            length / 6.5,
            builder.build(),
            [(-1e9, ident)],
        )
        fb.vessels.append(v)
        return v

    def arrive(
        self, origin: tuple[float, float], dest: tuple[float, float], t: float, speed: float
    ) -> TrackBuilder:
        """A builder that waits at ``origin`` and sails to reach ``dest`` at time ``t``."""
        travel = _path_m(origin, dest) / (speed * KN)
        b = TrackBuilder(min(-6 * H, t - travel - H), *origin)
        b.wait_until(t - travel, 1)
        b.sail(*dest, speed)
        return b

    def note(self, *args: object, **kw: object) -> None:
        """Record a planted fact."""
        self.fb.notes.append(TruthNote(*args, **kw))  # type: ignore[arg-type]

    def change(self, v: Vessel, t: float, **fields: object) -> None:
        """From time ``t`` on, ``v`` broadcasts an identity with ``fields`` changed."""
        cur = Identity(**{**v.identity_at(t).__dict__, **fields})
        later = [(s, Identity(**{**i.__dict__, **fields})) for s, i in v.identities if s > t]
        v.identities = [(s, i) for s, i in v.identities if s < t] + [(t, cur), *later]

    def foc(self) -> tuple[str, tuple[int, ...]]:
        """A flag of convenience."""
        return FOC[int(self.rng.integers(len(FOC)))]

    # -- ship-to-ship transfers ----------------------------------------------------------

    def sts(self, kind: str) -> None:
        """An STS transfer in the hotspot: ``visible``, ``receiver_dark`` or ``both_dark``."""
        r = self.rng
        p = _hotspot_point(r)
        t = float(r.uniform(14, max(15.0, self.end / H - 26))) * H
        dur = float(r.uniform(2.5, 8.0)) * H
        sep = float(r.uniform(40, 350))
        sup_origin = _port(str(r.choice(["Ningde", "Ningbo-Zhoushan", "Yangshan"]))).anchorage
        rec_origin = _port(str(r.choice(["Busan", "Incheon", "Keelung"]))).anchorage
        sb = self.arrive(sup_origin, p, t - float(r.uniform(0.5, 4)) * H, 11.0)
        side = offset(*p, float(r.uniform(0, 360)), sep)
        rb = self.arrive(rec_origin, (float(side[0]), float(side[1])), t, 10.0)
        sb.wait_until(t, 0)
        bearing, speed = float(r.uniform(0, 360)), float(r.uniform(0.1, 1.2))
        sb.drift(dur, speed, bearing, 0)
        rb.drift(dur, speed, bearing, 0)
        sb.sail(*sup_origin, 11.0)
        rb.sail(*_port("Dalian").anchorage, 10.0)
        sup = self.tanker(f"sts_{kind}_supplier", ("CN", (412, 413, 414)), sb)
        rec = self.tanker(f"sts_{kind}_receiver", self.foc(), rb)
        sup.illicit = rec.illicit = True
        amount = float(r.uniform(1.5, 4.0))
        lag = float(r.uniform(0.3, 1.5)) * H
        if kind != "visible":
            rec.dark.append((t - float(r.uniform(2, 6)) * H, t + dur + float(r.uniform(2, 6)) * H))
        if kind == "both_dark":
            sup.dark.append((t - float(r.uniform(1, 5)) * H, t + dur + float(r.uniform(1, 5)) * H))
        rec_change = max(t + dur + lag, rec.dark[0][1] + 60.0) if rec.dark else t + dur + lag
        sup_change = max(t + dur + lag, sup.dark[0][1] + 60.0) if sup.dark else t + dur + lag
        d_rec, d_sup = rec.identity_at(t).draught_m, sup.identity_at(t).draught_m
        self.change(rec, rec_change, draught_m=round(d_rec + amount, 1))
        self.change(sup, sup_change, draught_m=round(max(d_sup - amount, 1.0), 1))
        self._sts_notes(kind, sup, rec, t, dur, p, sep)
        self.note(
            "draught_change",
            rec.mmsi,
            None,
            rec_change,
            rec_change,
            *p,
            illicit=True,
            case=f"sts_{kind}",
            details={"delta_m": amount},
        )
        self.note(
            "draught_change",
            sup.mmsi,
            None,
            sup_change,
            sup_change,
            *p,
            illicit=True,
            case=f"sts_{kind}",
            details={"delta_m": -amount},
        )

    def _sts_notes(
        self,
        kind: str,
        sup: Vessel,
        rec: Vessel,
        t: float,
        dur: float,
        p: tuple[float, float],
        sep: float,
    ) -> None:
        details = {"separation_m": round(sep, 1), "duration_h": round(dur / H, 2)}
        typ = "encounter" if kind == "visible" else "dark_sts"  # other_mmsi: the dark receiver
        self.note(
            typ,
            sup.mmsi,
            rec.mmsi,
            t,
            t + dur,
            *p,
            illicit=True,
            case=f"sts_{kind}",
            details=details,
        )

    # -- North Korea ---------------------------------------------------------------------

    def dprk_dark_nampo(self) -> None:
        """A tanker goes dark 120-300 km before North Korean waters and calls at Nampo."""
        r = self.rng
        nampo = _port("Nampo")
        origin = _port(str(r.choice(["Dalian", "Yantai", "Qingdao"])))
        b = TrackBuilder(-6 * H, *origin.anchorage)
        b.wait_until(float(r.uniform(0, 10)) * H, 1)
        lats, lons = sea_path(origin.anchorage, nampo.anchorage)
        b.follow(lats, lons, 11.0)
        b.goto(*nampo.berth, 6.0)
        t_in = b.now
        b.hold(float(r.uniform(10, 30)) * H, 5)
        b.goto(*nampo.anchorage, 6.0)
        b.follow(lats[::-1], lons[::-1], 11.0)
        track_builder = b
        v = self.tanker("dprk_dark_nampo", self.foc(), track_builder, destination="DALIAN")
        v.illicit = True
        reach = float(r.uniform(120, 300)) * 1000
        dist = distance_m(v.track.lat, v.track.lon, nampo.lat, nampo.lon)
        near = np.flatnonzero(dist < reach)
        if near.size:
            v.dark.append((float(v.track.t[near[0]]), float(v.track.t[near[-1]])))
        self.change(v, t_in + 3 * H, draught_m=round(v.identity_at(0).draught_m - 2.5, 1))

    def dprk_visit_ais_on(self) -> None:
        """A flag-of-convenience cargo ship calls at Nampo with its AIS on."""
        r = self.rng
        nampo = _port("Nampo")
        origin = _port(str(r.choice(["Dalian", "Yantai", "Lianyungang"])))
        b = TrackBuilder(-6 * H, *origin.anchorage)
        b.wait_until(float(r.uniform(0, 20)) * H, 1)
        b.sail(*nampo.anchorage, 10.0)
        b.goto(*nampo.berth, 6.0)
        b.hold(float(r.uniform(12, 30)) * H, 5)
        b.sail(*origin.anchorage, 10.0)
        v = self.tanker("dprk_visit", self.foc(), b, destination="NAMPO")
        v.role = "cargo"
        v.illicit = True

    # -- position and identity games -----------------------------------------------------

    def merchant(self) -> Vessel:
        """A background merchant to carry a case."""
        return self.fb.merchant(str(self.rng.choice(["cargo", "tanker"])))

    def at_sea_time(self, v: Vessel) -> float:
        """A time in the middle of the scenario when ``v`` is under way (> 6 kn)."""
        margin = min(6 * H, self.end / 4)
        ts = np.arange(margin, self.end - margin, 600.0)
        _, _, sog, _, _ = v.track.sample(ts)
        ok = ts[sog > 6]
        return float(self.rng.choice(ok)) if ok.size else float(ts[len(ts) // 2])

    def spoof_jump(self) -> None:
        """Positions jump 40-300 km away for 1-6 h, then come back (position spoofing)."""
        r = self.rng
        v = self.merchant()
        t0 = self.at_sea_time(v)
        dur = float(r.uniform(1, 6)) * H
        dlat, dlon = offset(0.0, 0.0, float(r.uniform(0, 360)), float(r.uniform(40, 300)) * 1000)
        v.spoof.append((t0, t0 + dur, float(dlat), float(dlon)))
        v.illicit = True
        lat, lon, *_ = v.track.sample(np.array([t0]))
        self.note(
            "spoofing",
            v.mmsi,
            None,
            t0,
            t0 + dur,
            float(lat[0]),
            float(lon[0]),
            illicit=True,
            case="spoof_jump",
            details={"jump_km": "40-300"},
        )

    def shared_mmsi(self) -> None:
        """A tanker clones a merchant's MMSI and name for 12-48 h while far away."""
        r = self.rng
        v = self.merchant()
        p = _hotspot_point(r)
        b = TrackBuilder(-6 * H, *p)
        t0 = float(r.uniform(0, self.end / H - 14)) * H
        dur = min(float(r.uniform(12, 48)) * H, self.end - t0)
        b.fish_until(self.end + 6 * H, (p[0], p[1], 0.8), r)  # slow wandering, 2.5-4.5 kn
        clone = Vessel(
            f"clone-{v.mmsi}",
            v.mmsi,
            "A",
            "tanker",
            v.flag,
            v.length_m,
            v.beam_m,
            b.build(),
            list(v.identities),
        )
        clone.track.status[:] = 0
        clone.outages = [(-1e9, t0), (t0 + dur, 1e12)]  # silent, not a gap of the MMSI
        clone.illicit = v.illicit = True
        self.fb.vessels.append(clone)
        self.note(
            "spoofing",
            v.mmsi,
            None,
            t0,
            t0 + dur,
            *p,
            illicit=True,
            case="shared_mmsi",
            details={"clone_of": v.key},
        )

    def rename_at_sea(self) -> None:
        """Name, IMO and call sign change at sea (identity laundering)."""
        v = self.merchant()
        t = self.at_sea_time(v)
        new_name = self.fb.new_name("tanker")
        self.change(v, t, name=new_name, imo=self.fb.new_imo(), callsign=self.fb.callsign(v.flag))
        v.illicit = True
        lat, lon, *_ = v.track.sample(np.array([t]))
        self.note(
            "identity_change",
            v.mmsi,
            None,
            t,
            t,
            float(lat[0]),
            float(lon[0]),
            illicit=True,
            case="rename_at_sea",
            details={"new_name": new_name},
        )

    def fraudulent_imo(self) -> None:
        """A tanker broadcasts an IMO number that fails its check digit."""
        v = self.merchant()
        bad = self.fb.new_imo(valid=False)
        v.identities = [(t, Identity(**{**i.__dict__, "imo": bad})) for t, i in v.identities]
        v.illicit = True
        self.note(
            "identity_change",
            v.mmsi,
            None,
            0.0,
            self.end,
            float(v.track.lat[0]),
            float(v.track.lon[0]),
            illicit=True,
            case="fraudulent_imo",
            details={"imo": bad},
        )

    # -- sanctions -------------------------------------------------------------------------

    def listed(self, *, renamed: bool, broadcast_imo: bool) -> None:
        """A sanctioned tanker trading normally, renamed since listing or hiding its IMO."""
        r = self.rng
        v = self.merchant()
        listed_name = _ko_name(r)
        ident = v.identities
        imo = ident[0][1].imo
        current = self.fb.new_name("tanker") if renamed else listed_name
        v.identities = [
            (t, Identity(**{**i.__dict__, "name": current, "imo": imo if broadcast_imo else None}))
            for t, i in ident
        ]
        v.sanctioned = v.illicit = True
        old_flag = self.foc()
        self.book.listings.append(
            Listing(
                f"wk-sim-{imo}",
                listed_name,
                (),
                imo,
                self.fb.new_mmsi(old_flag[1]),
                old_flag[0],
                v.mmsi,
            )
        )

    def decoy(self) -> None:
        """An innocent ship whose name resembles a listed one."""
        if not self.book.listings:
            self.listed_absent()
        base = self.book.listings[int(self.rng.integers(len(self.book.listings)))]
        v = self.merchant()
        name = _lookalike(base.name, self.rng)
        v.identities = [(t, Identity(**{**i.__dict__, "name": name})) for t, i in v.identities]
        v.decoy = True
        self.book.decoy_of[v.mmsi] = base.entity_id

    def listed_absent(self) -> None:
        """A listed vessel that is not in the scenario (lists are mostly other ships)."""
        flag = self.foc() if self.rng.random() < 0.7 else ("KP", (445,))
        imo = self.fb.new_imo()
        self.book.listings.append(
            Listing(
                f"wk-sim-{imo}",
                _ko_name(self.rng),
                (),
                imo,
                self.fb.new_mmsi(flag[1]),
                flag[0],
                None,
            )
        )

    def benign_gap(self) -> None:
        """Transponder or reception failure for 12-24 h at sea: innocent."""
        v = self.merchant() if self.rng.random() < 0.5 else self._any_fishing()
        t0 = float(self.rng.uniform(6, max(7.0, self.end / H - 30))) * H
        v.outages.append((t0, t0 + float(self.rng.uniform(12, 24)) * H))

    def _any_fishing(self) -> Vessel:
        fishing = [v for v in self.fb.vessels if v.role == "fishing" and not v.outages]
        return fishing[int(self.rng.integers(len(fishing)))] if fishing else self.merchant()


def _lookalike(name: str, rng: np.random.Generator) -> str:
    """A name one edit away from ``name`` (a changed number, a dropped or doubled letter)."""
    parts = name.split()
    if parts[-1].isdigit():
        return " ".join([*parts[:-1], str(int(parts[-1]) + int(rng.integers(1, 9)))])
    word = parts[-1]
    i = int(rng.integers(1, len(word)))
    return " ".join([*parts[:-1], word[:i] + word[i - 1] + word[i:]])


def _plan(c: _Cases, counts: dict[str, int]) -> list[tuple[Callable[[], None], int]]:
    return [
        (lambda: c.sts("visible"), counts["sts_visible"]),
        (lambda: c.sts("receiver_dark"), counts["sts_receiver_dark"]),
        (lambda: c.sts("both_dark"), counts["sts_both_dark"]),
        (c.dprk_dark_nampo, counts["dprk_dark_nampo"]),
        (c.dprk_visit_ais_on, counts["dprk_visit_ais_on"]),
        (c.spoof_jump, counts["spoof_jump"]),
        (c.shared_mmsi, counts["shared_mmsi"]),
        (c.rename_at_sea, counts["rename_at_sea"]),
        (c.fraudulent_imo, counts["fraudulent_imo"]),
        (lambda: c.listed(renamed=True, broadcast_imo=True), counts["sanctioned_renamed"]),
        (lambda: c.listed(renamed=False, broadcast_imo=False), counts["sanctioned_no_imo"]),
        (c.listed_absent, 12),
        (c.decoy, counts["lookalike_decoy"]),
        (c.benign_gap, counts["benign_long_gap"]),
    ]


CASES = (
    "sts_visible",
    "sts_receiver_dark",
    "sts_both_dark",
    "dprk_dark_nampo",
    "dprk_visit_ais_on",
    "spoof_jump",
    "shared_mmsi",
    "rename_at_sea",
    "fraudulent_imo",
    "sanctioned_renamed",
    "sanctioned_no_imo",
    "lookalike_decoy",
    "benign_long_gap",
)


def plant_cases(fb: FleetBuilder, counts: dict[str, int]) -> CaseBook:
    """Plant every case ``counts[name]`` times; returns the sanctions list and decoy links."""
    c = _Cases(fb)
    for fn, n in _plan(c, counts):
        for _ in range(n):
            fn()
    return c.book

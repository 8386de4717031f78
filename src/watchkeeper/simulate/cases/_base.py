"""What every planted case shares: the flags of convenience, the sanctions-list entry, the
case book, places in the STS hotspot, and :class:`CaseBase` with the helpers that build a case
vessel, change its identity and record a truth note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from shapely import contains_xy

from watchkeeper.simulate._geo import KN, distance_m
from watchkeeper.simulate.fleet import FleetBuilder, TruthNote
from watchkeeper.simulate.scenario import PORTS, ZONES, Port
from watchkeeper.simulate.traffic import Identity, TrackBuilder, Vessel, sea_path

__all__ = [
    "FOC",
    "HOTSPOT_MIN_LON",
    "CaseBase",
    "CaseBook",
    "H",
    "Listing",
    "hotspot_point",
    "path_m",
    "port_named",
]

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


def hotspot_point(rng: np.random.Generator) -> tuple[float, float]:
    """A random open-sea point (lat, lon) of the East China Sea STS hotspot."""
    ring = ZONES["sts_hotspot_ecs"]
    x0, y0, x1, y1 = ring.bounds
    while True:
        lon, lat = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        # East of 122.5 E the ring is open sea (checked on the 1 km land mask by a test);
        # the mask itself costs 1 GB of memory, too much to load here.
        if lon >= HOTSPOT_MIN_LON and contains_xy(ring, lon, lat):
            return lat, lon


def path_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Length (m) of the sea route from ``a`` to ``b``."""
    lats, lons = sea_path(a, b)
    return float(np.sum(distance_m(lats[:-1], lons[:-1], lats[1:], lons[1:])))


def port_named(name: str) -> Port:
    """The scenario port called ``name``."""
    return next(p for p in PORTS if p.name == name)


class CaseBase:
    """Each method of a subclass plants one case; ``fb`` holds the vessels, ``book`` the list
    and decoys."""

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
        travel = path_m(origin, dest) / (speed * KN)
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

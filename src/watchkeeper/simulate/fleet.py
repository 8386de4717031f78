"""The background fleet: merchant ships and tankers between ports, bunker barges at anchorages,
fishing vessels and pair trawlers on their grounds, and reefers meeting fishing vessels.

All of it is innocent traffic. It is what makes the planted cases hard to find: crowded
anchorages with barges alongside, trawlers drifting at night, reefers in real encounters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from watchkeeper.context.imo import check_digit as imo_check_digit
from watchkeeper.context.imo import is_valid_imo as valid_imo
from watchkeeper.simulate._geo import KN, distance_m, offset
from watchkeeper.simulate.scenario import FISHING_GROUNDS, PORTS, Port, ScenarioConfig
from watchkeeper.simulate.traffic import Identity, Track, TrackBuilder, Vessel

__all__ = ["Decoy", "FleetBuilder", "TruthNote", "imo_check_digit", "valid_imo"]

H = 3600.0

#: Flags of the background fleet and their MIDs (ITU; DOMAIN.md).
MERCHANT_FLAGS: tuple[tuple[str, tuple[int, ...], float], ...] = (
    ("CN", (412, 413, 414), 0.35),
    ("PA", (351, 352, 353, 354, 355, 356, 357, 370, 371, 372, 373), 0.2),
    ("HK", (477,), 0.12),
    ("LR", (636,), 0.08),
    ("KR", (440, 441), 0.1),
    ("MH", (538,), 0.07),
    ("SG", (563, 564, 565), 0.08),
)
_SYL = (
    "HAI",
    "XIN",
    "HUA",
    "YANG",
    "FENG",
    "SHUN",
    "DA",
    "JIN",
    "TAI",
    "KANG",
    "MING",
    "HONG",
    "YUAN",
    "CHANG",
    "SHENG",
    "FU",
    "LONG",
    "AN",
    "RUI",
    "TONG",
    "HENG",
    "XING",
    "PING",
    "BAO",
)
_WORDS = (
    "PACIFIC",
    "OCEAN",
    "STAR",
    "GLORY",
    "PIONEER",
    "HARMONY",
    "FORTUNE",
    "VENTURE",
    "PEARL",
    "BRIGHT",
    "GRACE",
    "ORIENT",
    "ASIA",
    "NOBLE",
    "UNITY",
    "SPIRIT",
    "EAGLE",
    "DRAGON",
)
_FISH_PREFIX = ("ZHE LING YU", "LU RONG YU", "MIN SHI YU", "SU GAN YU", "LIAO DAN YU", "ZHE DAI YU")


@dataclass(frozen=True)
class TruthNote:
    """A fact the builders know that truth.json must state (encounters, planted events)."""

    type: str
    mmsi: int
    other_mmsi: int | None
    start: float
    end: float | None
    lat: float
    lon: float
    illicit: bool
    case: str
    observable: bool = True
    deliberate: bool | None = None
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Decoy:
    """A confounder: an innocent situation that must not produce events of ``types``.

    ``types`` are event types, plus ``ais_gap_deliberate`` (an ``ais_gap`` reported as
    deliberate). Pair situations name both vessels; ``end`` is None while open.
    """

    kind: str
    types: tuple[str, ...]
    mmsi: int
    other_mmsi: int | None
    start: float
    end: float | None
    lat: float
    lon: float
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class Stay:
    """A merchant's stay at an anchorage or berth (``vessel`` is set once it is built)."""

    vessel: Vessel | None
    port: Port
    t0: float
    t1: float
    lat: float
    lon: float


class FleetBuilder:
    """Creates vessels with unique MMSIs, IMOs and names from one seeded generator."""

    def __init__(self, config: ScenarioConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.rng = rng
        self.end = config.duration_s
        self.vessels: list[Vessel] = []
        self.notes: list[TruthNote] = []
        self.decoys: list[Decoy] = []
        self._mmsis: set[int] = set()
        self._imos: set[int] = set()
        self._names: set[str] = set()
        self.waits: list[Stay] = []
        self.berths: list[Stay] = []  # merchants' berth stays (harbour craft serve them)
        self.ports = tuple(p for p in PORTS if not p.dprk)

    # -- identifiers --------------------------------------------------------------------

    def new_mmsi(self, mids: tuple[int, ...]) -> int:
        """A fresh MMSI with one of the given MIDs."""
        while True:
            m = int(self.rng.choice(mids)) * 1_000_000 + int(self.rng.integers(0, 1_000_000))
            if m not in self._mmsis:
                self._mmsis.add(m)
                return m

    def new_imo(self, *, valid: bool = True) -> int:
        """A fresh 7-digit IMO number (with a wrong check digit when ``valid`` is False)."""
        while True:
            stem = int(self.rng.integers(800_000, 980_000))
            check = imo_check_digit(stem)
            if not valid:
                check = (check + int(self.rng.integers(1, 10))) % 10
            imo = stem * 10 + check
            if imo not in self._imos:
                self._imos.add(imo)
                return imo

    def new_name(self, kind: str) -> str:
        """A plausible, unique ship name for a merchant, tanker or fishing vessel."""
        while True:
            r = self.rng
            if kind == "fishing":
                name = f"{r.choice(_FISH_PREFIX)} {int(r.integers(1, 99999)):05d}"
            elif r.random() < 0.6:
                name = f"{r.choice(_SYL)} {r.choice(_SYL)} {int(r.integers(1, 99))}"
            else:
                name = f"{r.choice(_WORDS)} {r.choice(_WORDS)}"
            if name not in self._names:
                self._names.add(name)
                return name

    def callsign(self, flag: str) -> str:
        """A call sign with the flag's ITU prefix."""
        prefix = {
            **{"CN": "B", "PA": "3E", "HK": "VR", "LR": "A8", "KR": "D7", "MH": "V7"},
            **{"US": "W", "JP": "J", "TW": "BV"},
        }
        letters = "".join(self.rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ"), 4))
        return prefix.get(flag, "9V") + letters

    def pick_flag(self) -> tuple[str, tuple[int, ...]]:
        """A flag of the merchant fleet, weighted by its share."""
        w = np.array([f[2] for f in MERCHANT_FLAGS])
        i = int(self.rng.choice(len(MERCHANT_FLAGS), p=w / w.sum()))
        return MERCHANT_FLAGS[i][0], MERCHANT_FLAGS[i][1]

    # -- merchant ships -----------------------------------------------------------------

    def merchant(
        self,
        role: str,
        flag_mids: tuple[str, tuple[int, ...]] | None = None,
        imo_field: int | None = None,
    ) -> Vessel:
        """A cargo ship or tanker sailing port to port, waiting at anchorages between calls
        (``flag_mids`` and ``imo_field`` override the drawn flag and IMO)."""
        r = self.rng
        flag, mids = flag_mids or self.pick_flag()
        tanker = role == "tanker"
        length = float(r.uniform(90, 250))
        ship_type = int(r.integers(80, 85)) if tanker else int(r.integers(70, 75))
        speed = float(r.uniform(10, 14) if tanker else r.uniform(11, 16))
        name = self.new_name(role)
        imo = imo_field if imo_field is not None else self.new_imo()
        cs = self.callsign(flag)  # drawn after the IMO, as always: same seed, same bytes
        mmsi = self.new_mmsi(mids)
        port = self.ports[int(r.integers(len(self.ports)))]
        b = TrackBuilder(-float(r.uniform(0, 60)) * H, *port.berth)
        draught = length / 20.0
        first = Identity(name, imo, cs, ship_type, round(length / 20.0, 1), port.name.upper())
        idents: list[tuple[float, Identity]] = [(-1e9, first)]  # in port when the data starts
        waits: list[Stay] = []
        berths: list[Stay] = []
        t_in = b.now
        b.hold(float(r.uniform(4, 30)) * H, 5)
        berths.append(Stay(None, port, t_in, b.now, *port.berth))
        while b.now < self.end:
            nxt = self._next_port(port)
            draught = round(float(r.uniform(0.45, 1.0)) * length / 16.0, 1)
            idents.append(
                (b.now, Identity(name, imo, cs, ship_type, draught, nxt.name.upper()[:20]))
            )
            b.goto(*port.anchorage, 8.0)
            b.sail(*nxt.anchorage, speed)
            lat, lon = offset(*nxt.anchorage, float(r.uniform(0, 360)), float(r.uniform(0, 1500)))
            b.goto(float(lat), float(lon), 5.0)
            t0 = b.now
            b.hold(float(r.lognormal(np.log(14), 0.6)) * H, 1)
            waits.append(Stay(None, nxt, t0, b.now, float(lat), float(lon)))
            b.goto(*nxt.berth, 7.0)
            t0 = b.now
            b.hold(float(r.uniform(8, 30)) * H, 5)
            berths.append(Stay(None, nxt, t0, b.now, *nxt.berth))
            port = nxt
        v = Vessel(f"{role}-{mmsi}", mmsi, "A", role, flag, length, length / 6.5, b.build(), idents)
        for w in (*waits, *berths):
            w.vessel = v
        self.waits.extend(waits)
        self.berths.extend(berths)
        self.vessels.append(v)
        return v

    def _next_port(self, port: Port) -> Port:
        others = [p for p in self.ports if p.name != port.name]
        return others[int(self.rng.integers(len(others)))]

    # -- bunker barges ------------------------------------------------------------------

    def bunker_barges(self, n: int) -> None:
        """Barges that lie alongside ships at anchor for hours (not STS events of interest)."""
        by_port: dict[str, list[Stay]] = {}
        for w in sorted(self.waits, key=lambda w: w.t0):
            by_port.setdefault(w.port.name, []).append(w)
        busiest = sorted(by_port, key=lambda k: (-len(by_port[k]), k))[: max(1, n // 2)]
        if not busiest:
            return
        for i in range(n):
            waits = by_port[busiest[i % len(busiest)]]
            share = (n - 1 - i) // len(busiest) + 1  # barges working this port
            self._barge(waits[(i // len(busiest)) :: share])

    def _barge(self, waits: list[Stay]) -> None:
        r = self.rng
        port = waits[0].port
        flag, mids = "CN", (412, 413, 414)
        mmsi = self.new_mmsi(mids)
        name = f"{self.new_name('barge')} OIL"
        ident = Identity(name, None, self.callsign(flag), 80, 3.5, port.name.upper())
        home = offset(*port.anchorage, float(r.uniform(0, 360)), 2500.0)
        b = TrackBuilder(-3 * H, float(home[0]), float(home[1]))
        for w in waits:
            if w.t1 - w.t0 < 6 * H or w.t0 < b.now:
                continue
            side = offset(w.lat, w.lon, float(r.uniform(0, 360)), float(r.uniform(30, 60)))
            b.wait_until(w.t0 + float(r.uniform(0.5, 2)) * H, 1)
            b.goto(float(side[0]), float(side[1]), 6.0)
            b.hold(min(float(r.uniform(3, 6)) * H, max(w.t1 - b.now - 0.5 * H, 1800.0)), 1)
            b.goto(float(home[0]), float(home[1]), 6.0)
        v = Vessel(
            f"bunker-{mmsi}", mmsi, "A", "bunker", flag, 70.0, 12.0, b.build(), [(-1e9, ident)]
        )
        self.vessels.append(v)

    # -- fishing ------------------------------------------------------------------------

    def trawler(self, ground: int | None = None) -> _Trawler:
        """A class B trawler started at a random place on a fishing ground (track open)."""
        r = self.rng
        g = int(r.integers(len(FISHING_GROUNDS))) if ground is None else ground
        clat, clon, half = FISHING_GROUNDS[g]
        lat = clat + float(r.uniform(-half, half))
        lon = clon + float(r.uniform(-half, half))
        return _Trawler(TrackBuilder(-6 * H, lat, lon), g, self.new_mmsi((412, 413)))

    def fish_and_drift(self, tr: _Trawler, until: float) -> None:
        """Trawl 4-10 h, then lie drifting 1.5-4 h (to sort the catch), and repeat."""
        r, b = self.rng, tr.builder
        while b.now < until:
            b.fish_until(min(b.now + float(r.uniform(4, 10)) * H, until), tr.box, r)
            if b.now < until:
                dur, speed = float(r.uniform(1.5, 4)) * H, float(r.uniform(0.2, 1.0))
                b.drift(dur, speed, float(r.uniform(0, 360)), 7)

    def finish_trawler(self, tr: _Trawler, track: Track | None = None) -> Vessel:
        """Wrap a trawler as a class B vessel (type 30, no IMO)."""
        name = self.new_name("fishing")
        ident = Identity(name, None, f"B{tr.mmsi % 100000:05d}", 30, 0.0, "")
        track = track if track is not None else tr.builder.build()
        v = Vessel(
            f"fishing-{tr.mmsi}", tr.mmsi, "B", "fishing", "CN", 40.0, 8.0, track, [(-1e9, ident)]
        )
        self.vessels.append(v)
        return v

    def pair_trawlers(self) -> None:
        """Two trawlers towing one net 300-600 m apart at fishing speed (they never stop)."""
        r = self.rng
        lead = self.trawler()
        lead.builder.fish_until(self.end + 6 * H, lead.box, r)
        track = self.finish_trawler(lead).track
        dlat, dlon = offset(0.0, 0.0, float(r.uniform(0, 360)), float(r.uniform(300, 600)))
        other = self.trawler(lead.ground)
        self.finish_trawler(other, Track(track.t, track.lat + dlat, track.lon + dlon, track.status))

    def reefers_and_fishing(self, n_fishing: int, n_reefer: int) -> None:
        """Independent trawlers; each reefer meets 2-3 of them at sea for 3-6 h (transshipment)."""
        trawlers = [self.trawler() for _ in range(n_fishing)]
        for _ in range(n_reefer):
            self._reefer(trawlers)
        for tr in trawlers:
            self.fish_and_drift(tr, self.end + 6 * H)
            self.finish_trawler(tr)

    def _reefer(self, trawlers: list[_Trawler]) -> None:
        r = self.rng
        if not trawlers:
            return
        flag, mids = "PA", (351, 352, 353, 354, 355, 356, 357)
        mmsi = self.new_mmsi(mids)
        name, imo = self.new_name("reefer"), self.new_imo()
        ident = Identity(name, imo, self.callsign(flag), 79, 7.0, "FISHING GROUND")
        port = self.ports[int(r.integers(len(self.ports)))]
        rb = TrackBuilder(-2 * H, *port.anchorage)
        t_plan = float(r.uniform(2, 14)) * H
        for _ in range(int(r.integers(2, 4))):
            tr = trawlers[int(r.integers(len(trawlers)))]
            fb = tr.builder
            if fb.now > t_plan - 2 * H:
                continue
            self.fish_and_drift(tr, t_plan - 1 * H)
            meet = fb.here
            travel = float(distance_m(*rb.here, *meet)) / (12 * KN)
            t_meet = max(t_plan, rb.now + travel + 600, fb.now + 1800)
            if t_meet > self.end - 6 * H:
                break
            fb.wait_until(t_meet, 7)
            rb.wait_until(t_meet - travel, 0)
            side = offset(*meet, float(r.uniform(0, 360)), float(r.uniform(40, 90)))
            rb.goto(float(side[0]), float(side[1]), 12.0)
            rb.wait_until(t_meet, 0)
            dur = float(r.uniform(3, 6)) * H
            bearing, speed = float(r.uniform(0, 360)), float(r.uniform(0.2, 0.8))
            fb.drift(dur, speed, bearing, 7)
            rb.drift(dur, speed, bearing, 0)
            self.notes.append(
                TruthNote(
                    "encounter",
                    mmsi,
                    tr.mmsi,
                    t_meet,
                    t_meet + dur,
                    *meet,
                    illicit=False,
                    case="reefer_transshipment",
                )
            )
            t_plan = rb.now + float(r.uniform(4, 14)) * H
        rb.sail(*port.anchorage, 12.0)
        v = Vessel(
            f"reefer-{mmsi}", mmsi, "A", "reefer", flag, 120.0, 18.0, rb.build(), [(-1e9, ident)]
        )
        self.vessels.append(v)


@dataclass
class _Trawler:
    builder: TrackBuilder
    ground: int
    mmsi: int

    @property
    def box(self) -> tuple[float, float, float]:
        return FISHING_GROUNDS[self.ground]

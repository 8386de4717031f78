"""The simulated world: ports, anchorages, zones, receivers and the scenario parameters.

Only one scenario exists so far, ``east-china-sea``: the Yellow Sea, the East China Sea and
the approaches to North Korea, where the UN Panel of Experts and Japan's Ministry of Defense
documented ship-to-ship (STS) transfers in 2018-2024 (see DOMAIN.md). Coordinates are real;
berth points are moved up to 2 km off the World Port Index point into water on the 1 km land
mask, and anchorages sit ~10 km seaward on each port's approach (searoute network).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shapely import Polygon

from watchkeeper.context.zones import sts_east_china_sea
from watchkeeper.errors import ConfigError

__all__ = [
    "FERRY_ROUTES",
    "FISHING_GROUNDS",
    "ISHIGAKI_ROUTE",
    "MARINAS",
    "NAHA_ROUTE",
    "PORTS",
    "SAT_BLIND",
    "SCENARIOS",
    "SHANGHAI",
    "STATIONS",
    "ZONES",
    "CaseConfig",
    "ConfounderConfig",
    "FerryRoute",
    "Marina",
    "Port",
    "ScenarioConfig",
    "TrafficConfig",
    "get_scenario",
    "hotspot_ring",
]


@dataclass(frozen=True)
class Port:
    """A port: its reference point (WPI), a berth in water and an anchorage off it."""

    name: str
    country: str  # ISO 3166 alpha-2
    lat: float
    lon: float
    berth: tuple[float, float]
    anchorage: tuple[float, float]

    @property
    def dprk(self) -> bool:
        """Whether the port is in North Korea."""
        return self.country == "KP"


PORTS: tuple[Port, ...] = (
    Port("Shanghai", "CN", 31.23, 121.50, (30.98, 122.10), (31.044, 122.047)),
    Port("Yangshan", "CN", 30.62, 122.07, (30.618, 122.059), (30.567, 122.176)),
    Port("Ningbo-Zhoushan", "CN", 29.93, 122.05, (29.926, 122.049), (29.925, 122.148)),
    Port("Qingdao", "CN", 36.07, 120.32, (36.02, 120.33), (36.012, 120.373)),
    Port("Dalian", "CN", 38.93, 121.65, (38.93, 121.72), (38.85, 121.90)),
    Port("Tianjin", "CN", 38.97, 117.78, (38.97, 117.85), (38.881, 117.965)),
    Port("Yantai", "CN", 37.55, 121.40, (37.58, 121.42), (37.604, 121.542)),
    Port("Rizhao", "CN", 35.37, 119.55, (35.37, 119.60), (35.274, 119.609)),
    Port("Lianyungang", "CN", 34.75, 119.45, (34.76, 119.50), (34.757, 119.610)),
    Port("Ningde", "CN", 26.66, 119.75, (26.50, 119.95), (26.45, 120.05)),
    Port("Xiamen", "CN", 24.45, 118.07, (24.42, 118.10), (24.386, 118.236)),
    Port("Keelung", "TW", 25.15, 121.75, (25.166, 121.749), (25.244, 121.680)),
    Port("Busan", "KR", 35.08, 129.08, (35.08, 129.091), (35.072, 129.266)),
    Port("Incheon", "KR", 37.45, 126.60, (37.40, 126.55), (37.117, 126.321)),
    Port("Nagasaki", "JP", 32.72, 129.80, (32.72, 129.80), (32.549, 129.925)),
    # North Korea (WPI): Nampo is the oil import terminal named in the UN Panel reports.
    Port("Nampo", "KP", 38.717, 125.400, (38.709, 125.399), (38.715, 125.047)),
)

SHANGHAI = (31.23, 121.47)

#: Coastal AIS receivers (terrestrial coverage). North Korea shares no AIS data.
STATIONS: tuple[tuple[str, float, float], ...] = (
    ("rSHANGHAI", 31.23, 121.90),
    ("rZHOUSHAN", 30.00, 122.20),
    ("rWENZHOU", 27.95, 120.95),
    ("rNINGDE", 26.60, 119.90),
    ("rXIAMEN", 24.45, 118.10),
    ("rKEELUNG", 25.15, 121.75),
    ("rLIANYUNGANG", 34.75, 119.45),
    ("rQINGDAO", 36.07, 120.40),
    ("rYANTAI", 37.55, 121.40),
    ("rDALIAN", 38.93, 121.65),
    ("rTIANJIN", 38.97, 117.80),
    ("rINCHEON", 37.45, 126.60),
    ("rMOKPO", 34.78, 126.38),
    ("rJEJU", 33.50, 126.53),
    ("rBUSAN", 35.08, 129.08),
    ("rNAGASAKI", 32.72, 129.80),
)

#: Fishing grounds (centre lat, lon, half-size in degrees): Yellow Sea and East China Sea
#: shelf grounds worked by Chinese trawler fleets (GFW public map, 2023).
FISHING_GROUNDS: tuple[tuple[float, float, float], ...] = (
    (35.2, 123.0, 0.6),
    (33.2, 123.8, 0.7),
    (31.6, 124.2, 0.6),
    (29.6, 123.9, 0.5),
    (28.2, 122.8, 0.5),
)


@dataclass(frozen=True)
class FerryRoute:
    """Two small ferry terminals (lat, lon) linked by a straight crossing over water."""

    name: str
    flag: str
    mids: tuple[int, ...]
    a: tuple[float, float]
    b: tuple[float, float]


# Ferry terminals and marinas are coastal water cells of the 1 km land mask (land within
# 1.5 km), within 50 km of a coastal receiver and more than 10 km from every point of every
# place list the project can use: GFW's 60,410 named anchorages, the World Port Index, the
# UN/LOCODE ports bundled in searoute and the scenario's own ports (found by a search over a
# 0.01 degree grid; tests/simulate/test_sim_confounders.py re-checks it when the lists are
# present). Crossings are straight lines checked for water on the same mask. Island ferries
# of this kind (Sinan and Jeju in Korea, Amakusa in Japan) berth together overnight.
FERRY_ROUTES: tuple[FerryRoute, ...] = (
    FerryRoute("SINAN", "KR", (440, 441), (34.74, 125.87), (34.86, 125.97)),
    FerryRoute("JEJU EAST", "KR", (440, 441), (33.31, 126.85), (33.43, 126.94)),
    FerryRoute("GYEONGGI", "KR", (440, 441), (37.26, 126.43), (37.44, 126.36)),
    FerryRoute("AMAKUSA", "JP", (431, 432), (32.64, 130.13), (32.78, 130.14)),
)


@dataclass(frozen=True)
class Marina:
    """A marina (lat, lon) and the bearings that lead out to open water (land mask)."""

    name: str
    lat: float
    lon: float
    sea_bearings: tuple[float, ...]


#: Marinas: chosen as the ferry terminals (no place list has a point within 10 km).
MARINAS: tuple[Marina, ...] = (
    Marina("SEOGWIPO", 33.23, 126.63, (135.0, 165.0, 195.0)),
    Marina("WANDO", 34.46, 126.74, (180.0, 225.0)),
)

#: Where the scenario's satellite feed does not reach (lat0, lon0, lat1, lon1): satellite AIS
#: is bought per area of interest, and this one covers the Yellow and East China Seas, not the
#: Philippine Sea east of Taiwan. There only the coastal receivers hear ships, so a ship bound
#: out past ~74 km from Keelung falls silent: a coverage gap, not a deliberate one.
SAT_BLIND: tuple[tuple[float, float, float, float], ...] = ((21.5, 121.9, 26.8, 131.0),)

#: Keelung anchorage to Naha (Okinawa, WPI 26.22 N 127.67 E) and to an anchorage off Ishigaki
#: (24.40 N 124.07 E), legs checked for water on the 1 km land mask: the ways out of Keelung's
#: terrestrial coverage into the Pacific side, which the satellite feed does not cover. The
#: last point is where the ship stops.
NAHA_ROUTE: tuple[tuple[float, float], ...] = (
    (25.45, 122.2),
    (25.91, 124.6),
    (25.985, 127.376),
    (26.2, 127.6),
    (26.22, 127.67),
)
ISHIGAKI_ROUTE: tuple[tuple[float, float], ...] = (
    (25.2, 122.3),
    (24.75, 123.4),
    (24.5, 124.0),
    (24.4, 124.07),
)


def hotspot_ring() -> Polygon:
    """The STS hotspot reported by Japan, 250-450 km S to SE of Shanghai: the detector's own
    polygon (:func:`watchkeeper.context.zones.sts_east_china_sea`), so truth and detection
    share one definition."""
    return sts_east_china_sea()


#: Approximate North Korean waters (12 nm sea plus the approaches claimed by the DPRK),
#: drawn from the Northern Limit Line in the west and the DPRK-ROK line at 38.6 N in the east.
ZONES: dict[str, Polygon] = {
    "sts_hotspot_ecs": hotspot_ring(),
    "dprk_west": Polygon(
        [(124.2, 37.75), (125.7, 37.6), (125.8, 38.6), (125.2, 39.8), (124.2, 39.8)]
    ),
    "dprk_east": Polygon([(127.9, 38.6), (129.6, 38.6), (130.9, 42.3), (129.5, 42.4)]),
}


@dataclass(frozen=True)
class TrafficConfig:
    """How many vessels of each kind; multiplied by ``scale`` for benchmarks."""

    n_cargo: int = 110
    n_tanker: int = 55
    n_fishing: int = 70  # independent class B trawlers
    n_pair_trawl: int = 10  # pairs (two vessels each)
    n_reefer: int = 4  # each meets 2-3 fishing vessels at sea
    n_bunker: int = 8  # barges serving ships at anchorages


@dataclass(frozen=True)
class CaseConfig:
    """How many of each planted case (DESIGN §3 event types, DOMAIN.md tactics)."""

    sts_visible: int = 2
    sts_receiver_dark: int = 2
    sts_both_dark: int = 1
    dprk_dark_nampo: int = 1
    dprk_visit_ais_on: int = 1
    spoof_jump: int = 2
    shared_mmsi: int = 1
    rename_at_sea: int = 2
    fraudulent_imo: int = 1
    sanctioned_renamed: int = 2
    sanctioned_no_imo: int = 1
    lookalike_decoy: int = 3
    benign_long_gap: int = 3


@dataclass(frozen=True)
class ConfounderConfig:
    """Innocent situations that look like the planted ones (docs/simulator.md#confounders).

    Real traffic is full of them and detectors tuned without them accuse ferries, yachts and
    harbour craft. ``enabled=False`` gives the scenario without them (byte for byte).
    """

    enabled: bool = True
    ferry_routes: int = 4  # routes of FERRY_ROUTES used, two ferries each
    marinas: int = 2  # marinas of MARINAS used
    yachts_per_marina: int = 4  # class B sailing/pleasure yachts (plus one US-flag class A)
    harbour_ports: int = 3  # busiest ports get a tug, a port tender and two pilot boats
    coverage_exits: int = 3  # ships sailing out of terrestrial coverage (the first one past
    # a tanker drifting near the coverage edge: the classic false dark-STS partner)
    us_merchants: int = 2  # US-flag merchants with a Coast Guard number in the IMO field


@dataclass(frozen=True)
class ScenarioConfig:
    """Everything that defines one simulated dataset; the same config gives the same bytes."""

    name: str = "east-china-sea"
    seed: int = 0
    days: float = 3.0
    start: datetime = datetime(2024, 3, 4, tzinfo=UTC)
    scale: float = 1.0
    traffic: TrafficConfig = field(default_factory=TrafficConfig)
    cases: CaseConfig = field(default_factory=CaseConfig)
    confounders: ConfounderConfig = field(default_factory=ConfounderConfig)

    def __post_init__(self) -> None:
        if self.days < 2 or self.days > 60:  # planted cases need two days to play out
            raise ConfigError(f"days must be in [2, 60], got {self.days}")
        if self.scale <= 0:
            raise ConfigError(f"scale must be positive, got {self.scale}")
        if self.start.tzinfo is None:
            raise ConfigError("start must be timezone-aware (UTC)")

    @property
    def duration_s(self) -> float:
        """Length of the scenario in seconds."""
        return self.days * 86_400.0

    @property
    def t0(self) -> float:
        """Start as unix seconds."""
        return self.start.timestamp()


SCENARIOS = ("east-china-sea",)


def get_scenario(name: str, **kwargs: object) -> ScenarioConfig:
    """The config of a named scenario, with overrides (seed, days, scale...)."""
    if name not in SCENARIOS:
        raise ConfigError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return ScenarioConfig(name=name, **kwargs)  # type: ignore[arg-type]

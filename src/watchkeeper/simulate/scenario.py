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
    "FISHING_GROUNDS",
    "PORTS",
    "SCENARIOS",
    "SHANGHAI",
    "STATIONS",
    "ZONES",
    "CaseConfig",
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
class ScenarioConfig:
    """Everything that defines one simulated dataset; the same config gives the same bytes."""

    name: str = "east-china-sea"
    seed: int = 0
    days: float = 3.0
    start: datetime = datetime(2024, 3, 4, tzinfo=UTC)
    scale: float = 1.0
    traffic: TrafficConfig = field(default_factory=TrafficConfig)
    cases: CaseConfig = field(default_factory=CaseConfig)

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

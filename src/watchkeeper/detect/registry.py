"""The detector registry: one :class:`DetectorSpec` per event type.

Everything that differs between detectors is declared here once, and the rest of the system
derives from it: the parameters of a run (``DetectParams``), the order and inputs of
``detect_all``, which events are runs stitched across windows and what they are about, the
time that assigns an event to a window, the display colours of the KML export and of the
report, the risk reasons an event type can give (``assess/risk.py``), and the docs page.
Adding a detector touches its module, its docs page and its entry in :data:`REGISTRY`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, Generic, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.context.ports import PlaceIndex
from watchkeeper.context.reception import ReceptionMap
from watchkeeper.context.zones import Zone
from watchkeeper.detect._lookup import ByMmsi
from watchkeeper.detect._track import cols
from watchkeeper.detect.ais_gap import GapParams, detect_gaps
from watchkeeper.detect.dark_sts import DarkStsParams, detect_dark_sts
from watchkeeper.detect.draught_change import DraughtParams, detect_draught_changes
from watchkeeper.detect.encounter import EncounterParams, detect_encounters
from watchkeeper.detect.identity_change import IdentityParams, detect_identity_changes
from watchkeeper.detect.loitering import LoiterParams, detect_loitering
from watchkeeper.detect.port_visit import PortVisitParams, detect_port_visits
from watchkeeper.detect.spoofing import SpoofParams, detect_spoofing
from watchkeeper.detect.zone_entry import ZoneParams, detect_zone_entries
from watchkeeper.schema import EventType
from watchkeeper.tracks import ResampleParams, clean, resample

__all__ = [
    "REGISTRY",
    "Anchor",
    "DetectorSpec",
    "EventType",
    "Input",
    "Scope",
    "WindowData",
    "colour",
    "kml_colour",
    "markdown_table",
    "spec",
    "stitched_types",
    "subject_keys",
]

P = TypeVar("P")


class Scope(StrEnum):
    """Whom an event is about: one vessel, or a pair (``other_mmsi`` set)."""

    VESSEL = "vessel"
    PAIR = "pair"


class Input(StrEnum):
    """What a detector reads from a window (the runner builds only what is needed)."""

    TRACKS = "tracks"  # cleaned, segmented positions sorted by (track_id, ts)
    RESAMPLED = "resampled"  # tracks on the resampler's time grid
    IDENTITIES = "identities"  # identity reports (with a longer look-back halo)
    POSITIONS = "positions"  # positions by (mmsi, ts) for as-of lookups
    HISTORY = "history"  # positions further back, for the few vessels that need them
    BEFORE = "before"  # when each vessel was heard just before the window (gap look-back)
    SHIP_TYPES = "ship_types"  # last reported ship type of each MMSI
    PLACES = "places"  # ports, user ports and learned anchorages (the detection context)
    ZONES = "zones"  # watched polygons (the detection context)
    RECEPTION = "reception"  # where AIS is heard (the detection context; optional)
    DATA_END = "data_end"  # the end of the data the window covers (open silences)
    LOITERING = "loitering"  # the loitering events of the same window


class Anchor(StrEnum):
    """The time that assigns an event to one window."""

    START = "start"
    END = "end"  # known only at its end (a draught change: the first report of the new value)
    END_IF_FIRST_NEW = "end_if_first_new"  # the end when the evidence has ``first_new``


@dataclass
class WindowData:
    """What one window gives the detectors; derived inputs are built on first use."""

    tracks: pa.Table
    identities: pa.Table
    where: ByMmsi
    places: PlaceIndex
    zones: list[Zone]
    resample_params: ResampleParams = field(default_factory=ResampleParams)
    data_start: datetime | None = None
    data_end: datetime | None = None
    history: tuple[pa.Table, datetime] | None = None
    before: ByMmsi | None = None  # positions (mmsi, time) just before ``tracks`` begin
    reception: ReceptionMap | None = None  # the run's; None: each detector learns its own
    silences: pa.Table | None = None  # every vessel's gap starts (the window split in groups)
    found: dict[EventType, pa.Table] = field(default_factory=dict)

    @cached_property
    def resampled(self) -> pa.Table:
        """The tracks on the resampler's grid (built once, for the detectors that need it)."""
        return resample(self.tracks, self.resample_params)

    @cached_property
    def ship_types(self) -> dict[int, int]:
        """Last reported (non-zero) ship type of each MMSI."""
        ids = self.identities
        known = ids.filter(pc.greater(ids.column("ship_type"), 0)).sort_by("ts")
        mmsi, kind = known.column("mmsi").to_pylist(), known.column("ship_type").to_pylist()
        return dict(zip(mmsi, kind, strict=True))

    def history_lookup(self) -> tuple[ByMmsi, datetime | None]:
        """Positions to look back over and where they begin (the window's own by default)."""
        if self.history is None:
            return self.where, self.data_start
        return ByMmsi.of(cols(clean(self.history[0]))), self.history[1]


@dataclass(frozen=True)
class DetectorSpec(Generic[P]):
    """Everything the system needs to know about one detector."""

    type: EventType
    params: builtins.type[P]  # its frozen parameter dataclass (the params file section is ``type``)
    detect: Callable[[WindowData, P], pa.Table]  # the call: window inputs -> events
    scope: Scope
    needs: frozenset[Input]
    colour: str  # display colour, '#rrggbb' (report legend, KML styles)
    risk_keys: tuple[str, ...]  # the RiskWeights reasons its events can give
    stitched: bool = False  # a run in time: parts seen by two windows are one event
    subject: str | None = None  # the details key a run is about beyond its vessels
    anchor: Anchor = Anchor.START

    @property
    def docs(self) -> str:
        """The definition page, relative to the repository root."""
        return f"docs/detectors/{self.type}.md"

    def run(self, data: WindowData, params: object) -> pa.Table:
        """Events of one window with ``params`` (an instance of :attr:`params`)."""
        if not isinstance(params, self.params):
            raise TypeError(f"{self.type}: expected {self.params.__name__}, got {params!r}")
        return self.detect(data, params)


def _draught(d: WindowData, p: DraughtParams) -> pa.Table:
    where, start = d.history_lookup()
    return detect_draught_changes(d.identities, where, places=d.places, data_start=start, params=p)


def _dark_sts(d: WindowData, p: DarkStsParams) -> pa.Table:
    loitering = d.found[EventType.LOITERING]
    return detect_dark_sts(
        d.tracks,
        loitering,
        data_end=d.data_end,
        places=d.places,
        reception=d.reception,
        ship_types=d.ship_types,
        params=p,
    )


AIS_GAP: DetectorSpec[GapParams] = DetectorSpec(
    EventType.AIS_GAP,
    GapParams,
    lambda d, p: detect_gaps(
        d.tracks,
        data_end=d.data_end,
        reception=d.reception,
        places=d.places,
        where=d.where,
        before=d.before,
        ship_types=d.ship_types,
        pool=d.silences,
        params=p,
    ),
    Scope.VESSEL,
    frozenset(
        {
            Input.TRACKS,
            Input.DATA_END,
            Input.RECEPTION,
            Input.PLACES,
            Input.POSITIONS,
            Input.BEFORE,
            Input.SHIP_TYPES,
        }
    ),
    colour="#6b6b6b",
    risk_keys=("ais_gap", "ais_gap_deliberate", "gap_near_dprk"),
    stitched=True,
)
LOITERING: DetectorSpec[LoiterParams] = DetectorSpec(
    EventType.LOITERING,
    LoiterParams,
    lambda d, p: detect_loitering(d.tracks, places=d.places, params=p),
    Scope.VESSEL,
    frozenset({Input.TRACKS, Input.PLACES}),
    colour="#ff7f0e",
    risk_keys=("loitering", "tanker_loitering"),
    stitched=True,
)
ENCOUNTER: DetectorSpec[EncounterParams] = DetectorSpec(
    EventType.ENCOUNTER,
    EncounterParams,
    lambda d, p: detect_encounters(d.resampled, places=d.places, ship_types=d.ship_types, params=p),
    Scope.PAIR,
    frozenset({Input.RESAMPLED, Input.PLACES, Input.SHIP_TYPES}),
    colour="#d62728",
    risk_keys=("encounter", "sts_tanker", "sts_with_flagged"),
    stitched=True,
)
SPOOFING: DetectorSpec[SpoofParams] = DetectorSpec(
    EventType.SPOOFING,
    SpoofParams,
    lambda d, p: detect_spoofing(d.tracks, places=d.places, params=p),
    Scope.VESSEL,
    frozenset({Input.TRACKS, Input.PLACES}),
    colour="#e377c2",
    risk_keys=("spoofing",),
)
IDENTITY_CHANGE: DetectorSpec[IdentityParams] = DetectorSpec(
    EventType.IDENTITY_CHANGE,
    IdentityParams,
    lambda d, p: detect_identity_changes(d.identities, positions=d.where, params=p),
    Scope.VESSEL,
    frozenset({Input.IDENTITIES, Input.POSITIONS}),
    colour="#1f77b4",
    risk_keys=("identity_change",),
    anchor=Anchor.END_IF_FIRST_NEW,
)
DRAUGHT_CHANGE: DetectorSpec[DraughtParams] = DetectorSpec(
    EventType.DRAUGHT_CHANGE,
    DraughtParams,
    _draught,
    Scope.VESSEL,
    frozenset({Input.IDENTITIES, Input.POSITIONS, Input.HISTORY, Input.PLACES}),
    colour="#bcbd22",
    risk_keys=("draught_change", "dark_cargo"),
    anchor=Anchor.END,
)
PORT_VISIT: DetectorSpec[PortVisitParams] = DetectorSpec(
    EventType.PORT_VISIT,
    PortVisitParams,
    lambda d, p: detect_port_visits(d.tracks, d.places, params=p),
    Scope.VESSEL,
    frozenset({Input.TRACKS, Input.PLACES}),
    colour="#2ca02c",
    risk_keys=("dprk_port_visit",),
    stitched=True,  # a vessel visits one port at a time: no subject needed
)
ZONE_ENTRY: DetectorSpec[ZoneParams] = DetectorSpec(
    EventType.ZONE_ENTRY,
    ZoneParams,
    lambda d, p: detect_zone_entries(
        d.tracks, d.zones, params=p, continued=d.data_start is not None
    ),
    Scope.VESSEL,
    frozenset({Input.TRACKS, Input.ZONES}),
    colour="#8c564b",
    risk_keys=("zone_entry", "sts_zone", "dprk_waters"),
    stitched=True,
    subject="zone",  # zones overlap: a vessel can be in two at once
)
DARK_STS: DetectorSpec[DarkStsParams] = DetectorSpec(
    EventType.DARK_STS,
    DarkStsParams,
    _dark_sts,
    Scope.PAIR,
    frozenset(
        {
            Input.TRACKS,
            Input.LOITERING,
            Input.PLACES,
            Input.SHIP_TYPES,
            Input.DATA_END,
            Input.RECEPTION,
        }
    ),
    colour="#9b1fb5",
    risk_keys=("dark_sts", "sts_with_flagged"),
)

#: Every detector, in the order a window runs them (a detector after those whose events it
#: reads: dark_sts after loitering).
REGISTRY: tuple[DetectorSpec[Any], ...] = (
    AIS_GAP,
    LOITERING,
    ENCOUNTER,
    SPOOFING,
    IDENTITY_CHANGE,
    DRAUGHT_CHANGE,
    PORT_VISIT,
    ZONE_ENTRY,
    DARK_STS,
)
_BY_TYPE: dict[str, DetectorSpec[Any]] = {str(s.type): s for s in REGISTRY}


def spec(kind: str) -> DetectorSpec[Any]:
    """The spec of event type ``kind`` (KeyError for an unknown type)."""
    return _BY_TYPE[kind]


def stitched_types() -> tuple[str, ...]:
    """Event types that are runs in time, stitched across windows."""
    return tuple(str(s.type) for s in REGISTRY if s.stitched)


def subject_keys() -> dict[str, str]:
    """The details key each stitched run is about, where a vessel can be in two at once."""
    return {str(s.type): s.subject for s in REGISTRY if s.subject is not None}


def colour(kind: str, default: str = "#000000") -> str:
    """Display colour of event type ``kind`` ('#rrggbb')."""
    found = _BY_TYPE.get(kind)
    return found.colour if found else default


def kml_colour(kind: str, default: str = "ff000000") -> str:
    """KML colour (opaque ``aabbggrr``) of event type ``kind``: the report's colour."""
    found = _BY_TYPE.get(kind)
    if found is None:
        return default
    rgb = found.colour.lstrip("#")
    return f"ff{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}"


def markdown_table() -> str:
    """The registry as the Markdown table of ``docs/detectors/README.md`` (a test keeps the
    page equal to it)."""
    lines = [
        "| event type | scope | stitched run | inputs | colour | risk reasons |",
        "|---|---|---|---|---|---|",
    ]
    for s in REGISTRY:
        run = "yes" + (f" (per `{s.subject}`)" if s.subject else "") if s.stitched else "no"
        needs = ", ".join(sorted(str(n) for n in s.needs))
        lines.append(
            f"| [{s.type}]({s.type}.md) | {s.scope} | {run} | {needs} | `{s.colour}` | "
            + ", ".join(f"`{k}`" for k in s.risk_keys)
            + " |"
        )
    return "\n".join(lines) + "\n"

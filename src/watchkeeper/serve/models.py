"""Pydantic models of the service's requests and answers: the OpenAPI document's schemas.

The routers build plain dicts and answer them as JSON; these models document the shapes (with
examples) and schemathesis checks every answer against them (tests/serve).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

StrList = list[str]

__all__ = [
    "Alert",
    "AlertsPage",
    "CollectionInfo",
    "Collections",
    "Conformance",
    "ErrorBody",
    "EventCollection",
    "EventFeature",
    "EventProperties",
    "FeedbackItem",
    "FeedbackRequest",
    "Link",
    "MarkingModel",
    "Me",
    "PrecisionRow",
    "PublishRequest",
    "PublishResult",
    "TrackCollection",
    "VesselCollection",
    "ZoneCollection",
]

TLPName = Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
EXAMPLE_MARKING: dict[str, Any] = {"tlp": "AMBER", "rel_to": ["JPN", "USA"]}


class ErrorBody(BaseModel):
    """An error: what went wrong, in one sentence (or the list of invalid parameters)."""

    detail: Any = Field(examples=["no event 9f2c0e"])


class MarkingModel(BaseModel):
    """TLP level and the partner codes the item is released to (``ALL``: every partner)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_MARKING]})
    tlp: TLPName
    rel_to: list[str]


class Link(BaseModel):
    """An OGC API link."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class Point(BaseModel):
    """GeoJSON Point (lon, lat)."""

    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=3)


class LineString(BaseModel):
    """GeoJSON LineString (lon, lat pairs)."""

    type: Literal["LineString"]
    coordinates: list[list[float]]


class EventProperties(BaseModel):
    """A released event: what was seen, when, how sure, and its marking."""

    event_id: str = Field(examples=["765ae1474d2721997758f68c"])
    event_type: str = Field(examples=["encounter"])
    mmsi: int = Field(examples=[414662935])
    other_mmsi: int | None = Field(examples=[370124061])
    start: str = Field(examples=["2024-03-04T06:10:00Z"])
    end: str = Field(examples=["2024-03-04T09:40:00Z"])
    confidence: float | None = Field(examples=[0.9])
    risk: float | None = Field(description="Risk (0-100) of the vessel `mmsi`.", examples=[83.5])
    summary: str = Field(
        examples=[
            "Encounter of MMSI 414662935 with MMSI 370124061 from 2024-03-04 06:10 UTC for 3.5 h."
        ]
    )
    details: dict[str, Any]
    marking: MarkingModel
    report_url: str | None = Field(examples=["/api/v1/reports/414662935"])
    published_at: str = Field(examples=["2024-03-06T08:00:00Z"])


class EventFeature(BaseModel):
    """A released event as a GeoJSON Feature."""

    type: Literal["Feature"]
    id: str
    geometry: Point | None
    properties: EventProperties
    links: list[Link] = []


class _Collection(BaseModel):
    type: Literal["FeatureCollection"]
    numberMatched: int  # noqa: N815  (OGC API Features names)
    numberReturned: int  # noqa: N815
    timeStamp: str  # noqa: N815
    links: list[Link]


class EventCollection(_Collection):
    """A page of released events (OGC API Features items)."""

    features: list[EventFeature]


class Reason(BaseModel):
    """One reason of a vessel's risk and its points."""

    key: str = Field(examples=["sanctioned"])
    points: float = Field(examples=[70.0])
    text: str
    event_ids: list[str] = []


class SanctionsHit(BaseModel):
    """A sanctions list entry the vessel matches, and why."""

    list: str
    entity: str | None
    match: str = Field(examples=["match"])
    explanation: str | None
    entity_id: str | None = None
    score: float | None = None
    programs: StrList = []


class VesselProperties(BaseModel):
    """A released vessel case."""

    mmsi: int
    name: str | None
    imo: int | None
    flag: str | None
    ship_type: int | None
    risk: float | None
    reasons: list[Reason]
    sanctions: list[SanctionsHit]
    marking: MarkingModel
    report_url: str | None
    first_seen: str | None
    last_seen: str | None
    published_at: str


class VesselFeature(BaseModel):
    """A released vessel case at its last known position."""

    type: Literal["Feature"]
    id: str
    geometry: Point | None
    properties: VesselProperties
    links: list[Link] = []


class VesselCollection(_Collection):
    """A page of released vessel cases."""

    features: list[VesselFeature]


class TrackProperties(BaseModel):
    """The released part of a vessel's track."""

    mmsi: int
    start: str | None
    end: str | None
    n_points: int = Field(description="Points in the line (at most 5,000: thinned evenly).")
    n_positions: int = Field(description="Positions received in the released spans.")
    marking: MarkingModel


class TrackFeature(BaseModel):
    """A vessel's released track as a LineString (null with fewer than two points)."""

    type: Literal["Feature"]
    id: str
    geometry: LineString | None
    properties: TrackProperties
    links: list[Link] = []


class TrackCollection(_Collection):
    """A page of released tracks."""

    features: list[TrackFeature]


class ZoneProperties(BaseModel):
    """A public reference area."""

    name: str = Field(examples=["sts_east_china_sea"])
    kind: str = Field(examples=["sts_zone"])
    risk: float | None = None
    source: str | None = None


class ZoneFeature(BaseModel):
    """A reference area as a GeoJSON Feature (Polygon or MultiPolygon)."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: ZoneProperties


class ZoneCollection(BaseModel):
    """The public reference areas (STS zones, North Korean waters)."""

    type: Literal["FeatureCollection"]
    features: list[ZoneFeature]


class CollectionInfo(BaseModel):
    """An OGC API collection."""

    id: str
    title: str
    description: str
    itemType: str = "feature"  # noqa: N815
    crs: list[str]
    extent: dict[str, Any] | None = None
    links: list[Link]


class Collections(BaseModel):
    """The OGC API collections: events, vessels, tracks."""

    collections: list[CollectionInfo]
    links: list[Link]


class Conformance(BaseModel):
    """OGC API conformance classes this service implements."""

    conformsTo: list[str]  # noqa: N815


class Alert(EventProperties):
    """An alert: a released event's properties with its position."""

    lon: float | None
    lat: float | None


class AlertsPage(BaseModel):
    """Alerts in the order they changed, and the cursor to ask for what changed next."""

    items: list[Alert]
    next_cursor: str = Field(examples=["1042"])


class Me(BaseModel):
    """The partner a key belongs to."""

    code: str = Field(examples=["JPN"])
    name: str = Field(examples=["Japan Coast Guard"])
    scope: Literal["read", "publish", "admin"]


class PublishRequest(BaseModel):
    """Publish exactly one of an event, a vessel case or the top N vessel cases by risk."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"event_id": "765ae1474d2721997758f68c", "tlp": "AMBER", "rel_to": ["JPN", "USA"]},
                {"mmsi": 414662935, "tlp": "GREEN", "rel_to": ["ALL"]},
                {"top": 5, "tlp": "AMBER+STRICT", "rel_to": ["JPN"]},
            ]
        }
    )
    event_id: str | None = Field(None, max_length=64)
    mmsi: int | None = Field(None, ge=0, le=999_999_999)
    top: int | None = Field(None, ge=1, le=1000)
    tlp: TLPName
    rel_to: list[str] = Field(min_length=1, max_length=64)


class PublishResult(BaseModel):
    """What a publication released."""

    marking: MarkingModel
    events: list[str]
    vessels: list[int]


class FeedbackRequest(BaseModel):
    """A partner's verdict on an alert, with its own marking."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "verdict": "confirm",
                    "text": "Seen by patrol aircraft.",
                    "tlp": "AMBER",
                    "rel_to": ["JPN", "USA"],
                }
            ]
        }
    )
    verdict: Literal["confirm", "dispute", "comment"]
    text: str = Field("", max_length=4000)
    tlp: TLPName = "AMBER"
    rel_to: list[str] = Field(default_factory=list, max_length=64)


class FeedbackItem(BaseModel):
    """Feedback recorded on an alert."""

    feedback_id: int
    event_id: str
    partner: str
    verdict: str
    text: str
    created_at: str
    marking: MarkingModel


class PrecisionRow(BaseModel):
    """Confirmed and disputed alerts of an event type and the precision they give."""

    event_type: str
    confirmed: int
    disputed: int
    precision: float | None

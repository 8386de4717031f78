"""OGC API - Features (Part 1, Core + GeoJSON): /conformance, /collections and the items of
events, vessels and tracks, so that QGIS and GDAL read the service as they are."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from watchkeeper.errors import NotFoundError
from watchkeeper.serve import query
from watchkeeper.serve.deps import CtxDep, ReadPartner, note
from watchkeeper.serve.models import (
    CollectionInfo as CollectionModel,
)
from watchkeeper.serve.models import (
    Collections,
    Conformance,
    EventCollection,
    EventFeature,
    TrackCollection,
    TrackFeature,
    VesselCollection,
    VesselFeature,
)
from watchkeeper.serve.routers._common import ERRORS, GEOJSON, json_response, marking_of

__all__ = ["router"]

router = APIRouter(tags=["OGC API Features"], responses=ERRORS)

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
COLLECTIONS = {
    "events": ("Events", "Released detections: encounters, dark STS, gaps, loitering, ..."),
    "vessels": (
        "Vessels",
        "Released vessel cases at their last known position, with risk "
        "reasons and sanctions matches.",
    ),
    "tracks": ("Tracks", "Released parts of vessels' tracks as lines."),
}
MAX_LIMIT = 10_000

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Offset = Annotated[
    int, Query(ge=0, le=10_000_000, description="Items to skip (next links set it).")
]
BBoxQ = Annotated[
    str | None,
    Query(
        description="minx,miny,maxx,maxy in degrees (CRS84); minx > maxx crosses 180.",
        examples=["120,25,130,35"],
    ),
]
MmsiPath = Annotated[int, Path(ge=0, le=999_999_999, description="The vessel's MMSI.")]
DatetimeQ = Annotated[
    str | None,
    Query(
        alias="datetime",
        description="An instant or an interval a/b, ../b, a/.. (RFC 3339).",
        examples=["2024-03-04T00:00:00Z/2024-03-05T00:00:00Z"],
    ),
]


def _link(
    request: Request, path: str, rel: str, media: str, title: str | None = None
) -> dict[str, Any]:
    link = {"href": str(request.base_url).rstrip("/") + path, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def _collection(request: Request, cid: str) -> dict[str, Any]:
    title, description = COLLECTIONS[cid]
    return {
        "id": cid,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]], "crs": CRS84}},
        "links": [
            _link(request, f"/collections/{cid}", "self", "application/json", title),
            _link(request, f"/collections/{cid}/items", "items", GEOJSON, f"{title} items"),
        ],
    }


def _page(
    request: Request, features: list[dict[str, Any]], matched: int, limit: int, offset: int
) -> dict[str, Any]:
    links = [{"href": str(request.url), "rel": "self", "type": GEOJSON}]
    if offset + len(features) < matched:
        nxt = request.url.include_query_params(offset=offset + limit, limit=limit)
        links.append({"href": str(nxt), "rel": "next", "type": GEOJSON})
    if offset > 0:
        prev = request.url.include_query_params(offset=max(0, offset - limit), limit=limit)
        links.append({"href": str(prev), "rel": "prev", "type": GEOJSON})
    return {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
        "features": features,
    }


def _point(item: dict[str, Any]) -> dict[str, Any] | None:
    lon, lat = item.pop("lon"), item.pop("lat")
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def event_feature(props: dict[str, Any]) -> dict[str, Any]:
    """A published event's properties as a GeoJSON Feature (position moved to geometry)."""
    props = dict(props)
    geometry = _point(props)
    return {"type": "Feature", "id": props["event_id"], "geometry": geometry, "properties": props}


def _vessel_feature(props: dict[str, Any]) -> dict[str, Any]:
    props = dict(props)
    geometry = _point(props)
    return {"type": "Feature", "id": str(props["mmsi"]), "geometry": geometry, "properties": props}


def _track_feature(track: dict[str, Any]) -> dict[str, Any]:
    coords = track.pop("coordinates")
    geometry = {"type": "LineString", "coordinates": coords} if len(coords) >= 2 else None
    return {"type": "Feature", "id": str(track["mmsi"]), "geometry": geometry, "properties": track}


@router.get("/conformance", response_model=Conformance, summary="Conformance classes")
def conformance(partner: ReadPartner) -> Response:
    """The OGC API conformance classes implemented."""
    return json_response({"conformsTo": CONFORMANCE})


@router.get("/collections", response_model=Collections, summary="The collections")
def collections(request: Request, partner: ReadPartner) -> Response:
    """Events, vessels and tracks (what is in them depends on what is released to you)."""
    return json_response(
        {
            "collections": [_collection(request, cid) for cid in COLLECTIONS],
            "links": [_link(request, "/collections", "self", "application/json")],
        }
    )


def _describe(cid: str) -> Any:
    def describe(request: Request, partner: ReadPartner) -> Response:
        return json_response(_collection(request, cid))

    describe.__doc__ = f"The {cid} collection's description and links."
    return describe


for _cid in COLLECTIONS:
    router.add_api_route(
        f"/collections/{_cid}",
        _describe(_cid),
        methods=["GET"],
        response_model=CollectionModel,
        summary=f"The {_cid} collection",
        name=f"collection_{_cid}",
    )


@router.get(
    "/collections/events/items",
    response_model=EventCollection,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    summary="Released events",
)
def event_items(
    request: Request,
    ctx: CtxDep,
    partner: ReadPartner,
    bbox: BBoxQ = None,
    when: DatetimeQ = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Events released to you, by start time; ``bbox`` on the event's position, ``datetime``
    on its span. Follow the ``next`` link for the following page."""
    f = query.EventFilter(bbox=query.parse_bbox(bbox), interval=query.parse_datetime(when))
    items, matched = query.events_page(ctx.db, partner.code, f, limit=limit, offset=offset)
    features = [event_feature(i) for i in items]
    note(request, marking=marking_of(items), returned=len(items), matched=matched)
    return json_response(_page(request, features, matched, limit, offset), GEOJSON)


@router.get(
    "/collections/events/items/{event_id}",
    response_model=EventFeature,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    summary="One released event",
)
def event_item(request: Request, ctx: CtxDep, partner: ReadPartner, event_id: str) -> Response:
    """One event by id: 404 if it does not exist or is not released to you."""
    item = query.event_by_id(ctx.db, partner.code, event_id)
    note(request, marking=item["marking"], id=event_id)
    feature = event_feature(item)
    feature["links"] = [
        {"href": str(request.url), "rel": "self", "type": GEOJSON},
        _link(request, "/collections/events", "collection", "application/json"),
    ]
    return json_response(feature, GEOJSON)


@router.get(
    "/collections/vessels/items",
    response_model=VesselCollection,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    summary="Released vessel cases",
)
def vessel_items(
    request: Request,
    ctx: CtxDep,
    partner: ReadPartner,
    bbox: BBoxQ = None,
    when: DatetimeQ = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Vessel cases released to you, riskiest first; ``bbox`` on the last known position,
    ``datetime`` on the span the vessel was seen."""
    items, matched = query.vessels_page(
        ctx.db,
        partner.code,
        bbox=query.parse_bbox(bbox),
        interval=query.parse_datetime(when),
        limit=limit,
        offset=offset,
    )
    note(request, marking=marking_of(items), returned=len(items), matched=matched)
    features = [_vessel_feature(i) for i in items]
    return json_response(_page(request, features, matched, limit, offset), GEOJSON)


@router.get(
    "/collections/vessels/items/{mmsi}",
    response_model=VesselFeature,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    summary="One released vessel case",
)
def vessel_item(request: Request, ctx: CtxDep, partner: ReadPartner, mmsi: MmsiPath) -> Response:
    """One vessel case by MMSI: 404 if there is none released to you."""
    item = query.vessel_by_mmsi(ctx.db, partner.code, mmsi)
    note(request, marking=item["marking"], id=mmsi)
    return json_response(_vessel_feature(item), GEOJSON)


@router.get(
    "/collections/tracks/items",
    response_model=TrackCollection,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    summary="Released tracks",
)
def track_items(
    request: Request,
    ctx: CtxDep,
    partner: ReadPartner,
    mmsi: Annotated[
        int | None, Query(ge=0, le=999_999_999, description="Only this vessel.")
    ] = None,
    when: DatetimeQ = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Tracks per page.")] = 10,
    offset: Offset = 0,
) -> Response:
    """One line per vessel released to you (through its case, or an event naming it:
    the event's span +- 6 h), from the positions received, by MMSI."""
    tracks, matched = query.tracks_page(
        ctx.db,
        ctx.store,
        partner.code,
        mmsi=mmsi,
        interval=query.parse_datetime(when),
        limit=limit,
        offset=offset,
    )
    note(request, marking=marking_of(tracks), returned=len(tracks), matched=matched)
    features = [_track_feature(t) for t in tracks]
    return json_response(_page(request, features, matched, limit, offset), GEOJSON)


@router.get(
    "/collections/tracks/items/{mmsi}",
    response_model=TrackFeature,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    summary="One vessel's released track",
)
def track_item(
    request: Request, ctx: CtxDep, partner: ReadPartner, mmsi: MmsiPath, when: DatetimeQ = None
) -> Response:
    """The released track of one vessel: 404 if nothing of it is released to you."""
    tracks, _ = query.tracks_page(
        ctx.db,
        ctx.store,
        partner.code,
        mmsi=mmsi,
        interval=query.parse_datetime(when),
        limit=1,
        offset=0,
    )
    if not tracks:
        raise NotFoundError(f"no track {mmsi}")
    note(request, marking=tracks[0]["marking"], id=mmsi)
    return json_response(_track_feature(tracks[0]), GEOJSON)

"""The partners' JSON API under /api/v1: who am I, alerts (with a cursor for partners that
pull), feedback, precision, reference zones, case reports, and publishing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from watchkeeper.serve import feedback as fb
from watchkeeper.serve import query
from watchkeeper.serve.deps import CtxDep, PublishPartner, ReadPartner, note
from watchkeeper.serve.markings import Marking
from watchkeeper.serve.models import (
    AlertsPage,
    FeedbackItem,
    FeedbackRequest,
    Me,
    PrecisionRow,
    PublishRequest,
    PublishResult,
    ZoneCollection,
)
from watchkeeper.serve.publish import publish as publish_items
from watchkeeper.serve.routers._common import ERRORS, GEOJSON, json_response, marking_of
from watchkeeper.serve.zones import reference_zones

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses=ERRORS)

EventIdPath = Annotated[str, Path(max_length=64, description="The event's id.")]


@router.get("/me", response_model=Me, tags=["partners"], summary="Who the key belongs to")
def me(request: Request, partner: ReadPartner) -> Response:
    """The partner of the key sent: code, name and scope."""
    note(request)
    return json_response({"code": partner.code, "name": partner.name, "scope": partner.scope.value})


@router.get("/alerts", response_model=AlertsPage, tags=["alerts"], summary="Alerts, filtered")
def alerts(
    request: Request,
    ctx: CtxDep,
    partner: ReadPartner,
    type: Annotated[
        list[str] | None,
        Query(
            description="Event type(s), e.g. encounter (repeat or comma-separate).", max_length=20
        ),
    ] = None,
    since: Annotated[str | None, Query(description="Events ending at or after (ISO 8601).")] = None,
    until: Annotated[str | None, Query(description="Events starting at or before.")] = None,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy (degrees).")] = None,
    min_risk: Annotated[
        float | None, Query(ge=0, le=100, description="Vessel risk >= this.")
    ] = None,
    mmsi: Annotated[int | None, Query(ge=0, le=999_999_999, description="Either vessel.")] = None,
    changed_since: Annotated[
        str | None,
        Query(
            max_length=40,
            description="The next_cursor of an earlier answer: only alerts "
            "published or re-marked since.",
            examples=["0"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> Response:
    """Alerts released to you in the order they were published or re-marked. Pull loop: pass
    ``next_cursor`` back as ``changed_since`` until ``items`` is empty, then again later."""
    types = tuple(t.strip() for v in (type or []) for t in v.split(",") if t.strip())
    lo = query.parse_datetime(since, "since")[0] if since else None
    hi = query.parse_datetime(until, "until")[1] if until else None
    f = query.EventFilter(
        bbox=query.parse_bbox(bbox), interval=(lo, hi), types=types, mmsi=mmsi, min_risk=min_risk
    )
    items, cursor = query.alerts(ctx.db, partner.code, f, changed_since=changed_since, limit=limit)
    note(request, marking=marking_of(items), returned=len(items), next_cursor=cursor)
    return json_response({"items": items, "next_cursor": cursor})


@router.post(
    "/alerts/{event_id}/feedback",
    response_model=FeedbackItem,
    status_code=201,
    tags=["feedback"],
    summary="Confirm, dispute or comment on an alert",
)
def post_feedback(
    request: Request,
    ctx: CtxDep,
    partner: ReadPartner,
    event_id: EventIdPath,
    body: FeedbackRequest,
) -> Response:
    """Record your verdict on an alert released to you, with its own marking (your code is
    always added to its rel_to; empty rel_to: yours only)."""
    marking = Marking.parse(body.tlp, body.rel_to or [partner.code])
    item = fb.add_feedback(ctx.db, partner.code, event_id, body.verdict, body.text, marking)
    note(request, marking=item["marking"], id=event_id, verdict=body.verdict)
    return json_response(item, status=201)


@router.get(
    "/alerts/{event_id}/feedback",
    response_model=list[FeedbackItem],
    tags=["feedback"],
    summary="Feedback on an alert",
)
def get_feedback(
    request: Request, ctx: CtxDep, partner: ReadPartner, event_id: EventIdPath
) -> Response:
    """The feedback on an alert that is released to you."""
    items = fb.feedback_of(ctx.db, partner.code, event_id)
    note(request, marking=marking_of(items), id=event_id, returned=len(items))
    return json_response(items)


@router.get(
    "/stats/precision",
    response_model=list[PrecisionRow],
    tags=["feedback"],
    summary="Precision per event type",
)
def precision(request: Request, ctx: CtxDep, partner: ReadPartner) -> Response:
    """Confirmed / (confirmed + disputed) per event type, over what is released to you."""
    note(request)
    return json_response(fb.precision(ctx.db, partner.code))


@router.get(
    "/zones",
    response_model=ZoneCollection,
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    tags=["reference"],
    summary="Reference areas",
)
def zones(request: Request, ctx: CtxDep, partner: ReadPartner) -> Response:
    """STS zones and North Korean waters (public reference data: no marking)."""
    features = reference_zones(ctx.store)
    note(request, returned=len(features))
    return json_response({"type": "FeatureCollection", "features": features}, GEOJSON)


@router.get(
    "/reports/{mmsi}",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "The case report"}},
    tags=["reports"],
    summary="A vessel case report",
)
def report(
    request: Request,
    ctx: CtxDep,
    partner: ReadPartner,
    mmsi: Annotated[int, Path(ge=0, le=999_999_999)],
) -> HTMLResponse:
    """The self-contained HTML case report published with a vessel case released to you."""
    html, marking = query.report_html(ctx.db, partner.code, mmsi)
    note(request, marking=marking, id=mmsi)
    return HTMLResponse(
        html, headers={"X-TLP": marking["tlp"], "X-Rel-To": ",".join(marking["rel_to"])}
    )


@router.post(
    "/publish",
    response_model=PublishResult,
    status_code=201,
    tags=["publish"],
    summary="Publish an event, a vessel case or the top N",
)
def publish(
    request: Request, ctx: CtxDep, partner: PublishPartner, body: PublishRequest
) -> Response:
    """Release items with a marking (publish scope). The latest publication of an item
    replaces its snapshot and marking, and moves it past the partners' cursors."""
    marking = Marking.parse(body.tlp, body.rel_to)
    done = publish_items(
        ctx.db,
        ctx.store,
        marking,
        event_id=body.event_id,
        mmsi=body.mmsi,
        top=body.top,
        by=partner.code,
    )
    note(request, marking=marking.as_dict(), events=len(done.events), vessels=done.vessels)
    return json_response(done.as_dict(), status=201)

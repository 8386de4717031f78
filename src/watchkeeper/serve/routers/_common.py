"""Helpers shared by the routers: JSON answers, error responses, strictest marking."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Response

from watchkeeper.serve.markings import Marking, strictest
from watchkeeper.serve.models import ErrorBody

__all__ = ["ERRORS", "GEOJSON", "json_response", "marking_of"]

GEOJSON = "application/geo+json"

_ERROR_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _error(description: str) -> dict[str, Any]:
    # errors are JSON whatever the route answers on success (GeoJSON, HTML)
    return {"description": description, "model": ErrorBody, "content": _ERROR_JSON}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Invalid parameter"),
    401: _error("No API key, or an unknown or revoked one"),
    403: _error("The key's scope does not allow this"),
    404: _error("Not found, or not released to you (the same answer)"),
}


def json_response(body: Any, media_type: str = "application/json", status: int = 200) -> Response:
    """``body`` as compact JSON (the routers build plain dicts: no second validation pass)."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Response(text, status_code=status, media_type=media_type)


def marking_of(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The strictest marking over answered items (for the audit line), None if none."""
    marks = [Marking(i["marking"]["tlp"], tuple(i["marking"]["rel_to"])) for i in items]
    return strictest(marks).as_dict() if marks else None

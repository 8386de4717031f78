"""Helpers shared by the routers: JSON answers, error responses, strictest marking."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Response

from watchkeeper.serve.markings import Marking, strictest
from watchkeeper.serve.models import ErrorBody

__all__ = ["ERRORS", "GEOJSON", "json_response", "marking_of"]

GEOJSON = "application/geo+json"

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid parameter", "model": ErrorBody},
    401: {"description": "No API key, or an unknown or revoked one", "model": ErrorBody},
    403: {"description": "The key's scope does not allow this", "model": ErrorBody},
    404: {"description": "Not found, or not released to you (the same answer)", "model": ErrorBody},
}


def json_response(body: Any, media_type: str = "application/json", status: int = 200) -> Response:
    """``body`` as compact JSON (the routers build plain dicts: no second validation pass)."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Response(text, status_code=status, media_type=media_type)


def marking_of(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The strictest marking over answered items (for the audit line), None if none."""
    marks = [Marking(i["marking"]["tlp"], tuple(i["marking"]["rel_to"])) for i in items]
    return strictest(marks).as_dict() if marks else None

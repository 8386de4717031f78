"""The service's routers (thin: parse, call the domain functions, answer)."""

from __future__ import annotations

from fastapi import APIRouter

from watchkeeper.serve.routers.api import router as api_router
from watchkeeper.serve.routers.ogc import router as ogc_router

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (ogc_router, api_router)

"""`dashboard_router(settings)`: everything the dashboard adds to the query service."""

from __future__ import annotations

from fastapi import APIRouter

from services.dashboard.api import dashboard_api_router
from services.dashboard.pages import pages_router
from services.settings import Settings


def dashboard_router(settings: Settings) -> APIRouter:
    """Pages under /dashboard/ and their reads under /v1/dashboard/ (read token)."""
    router = APIRouter()
    router.include_router(pages_router(settings))
    router.include_router(dashboard_api_router(settings))
    return router

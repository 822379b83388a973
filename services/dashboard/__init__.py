"""The sales managers' dashboard: pages, static assets and the few reads they need."""

from services.dashboard.router import dashboard_router

__all__ = ["dashboard_router"]

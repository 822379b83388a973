"""Fixtures shared by integration tests (the root conftest has the broker and database ones)."""

from tests.integration.funnel_fixtures import funnel_settings

__all__ = ["funnel_settings"]

"""Dependencies of the query routes, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from services.settings import Settings


def get_pool(request: Request) -> Any:
    """The app's asyncpg pool (its connections read the live funnel schema)."""
    return request.app.state.pool


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


PoolDep = Annotated[Any, Depends(get_pool)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

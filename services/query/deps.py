"""Dependencies of the query routes, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from funnel.model.stages import StageOrder
from services.settings import Settings


def get_pool(request: Request) -> Any:
    """The app's asyncpg pool (its connections read the live funnel schema)."""
    return request.app.state.pool


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_stage_order(request: Request) -> StageOrder:
    """The sales stages as configured (`LEADFUNNEL_SALES_STAGES`), in process order."""
    order: StageOrder = request.app.state.stage_order
    return order


PoolDep = Annotated[Any, Depends(get_pool)]
StageOrderDep = Annotated[StageOrder, Depends(get_stage_order)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

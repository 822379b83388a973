"""Churn-risk endpoints: open opportunities by risk with reasons, one lead's open deals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from forecast.model.assess import Assessment, assess, listed
from forecast.model.logistic import RiskModel
from forecast.scores import latest_check, scored_page
from forecast.store import latest_model, lead_owners, load_open
from funnel.store import queries
from services.query.auth import PrincipalDep, ReadAccess, visible
from services.query.deps import PoolDep, SettingsDep
from services.query.leads_api import ANSWERS, NOT_FOUND
from services.query.risk_models import RiskPage
from services.settings import Settings

router = APIRouter(tags=["risk"], dependencies=[ReadAccess])


async def risk_page(
    pool: Any,
    settings: Settings,
    limit: int,
    floor: float = 0.0,
    owner: str | None = None,
    lead_id: str | None = None,
) -> dict[str, Any]:
    """Open opportunities whose shown risk reaches `floor` (and of `owner`), riskiest first.

    The alerts worker's last risk check when it is recent and scored by the newest model (a
    page of stored rows), else every open deal (`owner`'s alone) scored now from the read
    models; `lead_id`: that lead's open deals, always scored now (docs/risk.md, "Reading the
    scores").
    """
    schema, bar, at = settings.funnel_schema, settings.risk_alert_bar, datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        model = await latest_model(conn, schema)
        if model is None:
            return _page(at, None, bar, [])
        if lead_id is None:
            check = await latest_check(conn, settings.alerts_schema, schema)
            if check is not None and check.serves(model, 2 * settings.risk_check_interval_seconds):
                found = await scored_page(
                    conn, settings.alerts_schema, schema, bar, floor, owner, limit
                )
                return _page(check.as_of, model, bar, found)
        of_lead = None if lead_id is None else [lead_id]
        history = await load_open(conn, schema, at, of_lead, owner)  # a rep's: only its deals
        # the features and scores of every open deal: ≈ 3 s of pure Python at 1M leads, in a
        # thread so the other requests of this process are not held behind it
        assessed = await asyncio.to_thread(assess, model, history, at)
        owners = await lead_owners(conn, schema, assessed)
    items = [_item(a, a.owner(owners), bar) for a in assessed]
    kept = [
        item
        for item in items
        if item["risk"] >= floor
        and (owner is None or item["owner"] == owner)
        and (lead_id is None or item["lead_id"] == lead_id)
    ]
    return _page(at, model, bar, kept[:limit])


def _page(
    at: datetime, model: RiskModel | None, bar: float, items: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "as_of": at,
        "model_version": model.version if model else None,
        "horizon_days": model.horizon_days if model else None,
        "bar": bar,
        "items": items,
    }


def _item(a: Assessment, owner: str | None, bar: float) -> dict[str, Any]:
    return {**listed(a), "owner": owner, "at_risk": a.is_at_risk(bar)}


@router.get("/v1/opportunities/at-risk", response_model=RiskPage, responses=ANSWERS)
async def get_at_risk(
    pool: PoolDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    min_risk: Annotated[float | None, Query(ge=0, le=1, description="default: the bar")] = None,
    owner: str | None = None,
) -> Any:
    """Open opportunities at or above the risk bar, riskiest first, with their top reasons."""
    scope = principal.owner_scope
    if scope is not None:  # a rep reads its own deals only
        if owner not in (None, scope):
            raise HTTPException(403, "this token reads only the leads it owns")
        owner = scope
    floor = settings.risk_alert_bar if min_risk is None else min_risk
    page = await risk_page(pool, settings, limit, floor, owner)
    return RiskPage.model_validate(page).model_dump(mode="json")


@router.get("/v1/leads/{lead_id}/risk", response_model=RiskPage, responses=NOT_FOUND)
async def get_lead_risk(
    pool: PoolDep, settings: SettingsDep, principal: PrincipalDep, lead_id: str
) -> Any:
    """The risk of each of the lead's open opportunities, with its reasons."""
    resolved = await queries.resolve_lead(pool, lead_id)
    lead = visible(principal, await queries.lead_row(pool, resolved) if resolved else None)
    if lead is None:
        raise HTTPException(404, f"no lead {lead_id}")
    page = await risk_page(pool, settings, 50, lead_id=lead["lead_id"])
    return RiskPage.model_validate(page).model_dump(mode="json")

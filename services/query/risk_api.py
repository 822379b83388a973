"""Churn-risk endpoints: open opportunities by risk with reasons, one lead's open deals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from forecast.model.assess import Assessment, assess
from forecast.store import latest_model, load_open
from funnel.store import queries
from services.query.auth import PrincipalDep, ReadAccess, visible
from services.query.deps import PoolDep, SettingsDep
from services.query.leads_api import ANSWERS, NOT_FOUND
from services.query.risk_models import RiskPage
from services.settings import Settings

router = APIRouter(tags=["risk"], dependencies=[ReadAccess])


async def risk_page(
    pool: Any, settings: Settings, keep: Any, limit: int, as_of: datetime | None = None
) -> dict[str, Any]:
    """Every open opportunity scored now from the read models; `keep(item)` filters them."""
    at = as_of or datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        model = await latest_model(conn, settings.funnel_schema)
        history = await load_open(conn, settings.funnel_schema, at)
        # the features and scores of every open deal: ≈ 1 s of pure Python at 1M leads, in a
        # thread so the other requests of this process are not held behind it
        assessed = await asyncio.to_thread(assess, model, history, at) if model else []
        leads = sorted({a.snapshot.lead_id for a in assessed if a.snapshot.lead_id})
        owners = await queries.lead_owners(conn, settings.funnel_schema, leads)
    bar = settings.risk_alert_bar
    items = [_item(a, owners.get(a.snapshot.lead_id), bar) for a in assessed]
    return {
        "as_of": at,
        "model_version": model.version if model else None,
        "horizon_days": model.horizon_days if model else None,
        "bar": bar,
        "items": [item for item in items if keep(item)][:limit],
    }


def _item(a: Assessment, owner: str | None, bar: float) -> dict[str, Any]:
    shot = a.snapshot
    return {
        "opportunity_id": shot.opportunity_id,
        "lead_id": shot.lead_id,
        "owner": owner if owner is not None else shot.owner,
        "stage": shot.stage,
        "days_in_stage": round(shot.days_in_stage, 2),
        "stage_median_days": round(shot.stage_median_days, 2),
        "risk": round(a.risk, 4),
        "at_risk": a.is_at_risk(bar),
        "reasons": [
            {"feature": r.feature, "value": r.value, "contribution": r.contribution, "text": r.text}
            for r in a.reasons
        ],
        "features": dict(shot.values),
    }


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

    def keep(item: dict[str, Any]) -> bool:
        return item["risk"] >= floor and (owner is None or item["owner"] == owner)

    page = await risk_page(pool, settings, keep, limit)
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
    page = await risk_page(pool, settings, lambda item: item["lead_id"] == lead["lead_id"], 50)
    return RiskPage.model_validate(page).model_dump(mode="json")

"""The dashboard's reads the query API lacks: recent promotions, filter options, score history."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from funnel.store import dashboard_reads as reads
from funnel.store import queries
from runtime.ops_http import json_response
from scoring.model.rules import RuleSet, default_rules, load_rules
from services.dashboard.history import score_history
from services.dashboard.models import FilterOptions, PromotionList, ScoreHistory
from services.query.auth import PrincipalDep, ReadAccess, visible
from services.query.deps import PoolDep
from services.settings import Settings

HISTORY_EVENTS = 2000
ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no read token"},
    403: {"description": "not a read token"},
}


def running_rules(settings: Settings) -> RuleSet:
    """The rule set the scoring worker runs with (the same setting decides)."""
    path = settings.scoring_rules_path
    return load_rules(path) if path else default_rules()


def dashboard_api_router(settings: Settings) -> APIRouter:
    """Routes under /v1/dashboard, behind the read token like every /v1 route."""
    rules = running_rules(settings)
    router = APIRouter(
        prefix="/v1/dashboard", tags=["dashboard"], dependencies=[ReadAccess], responses=ANSWERS
    )

    @router.get("/promotions", response_model=PromotionList)
    async def get_promotions(
        pool: PoolDep,
        principal: PrincipalDep,
        kind: Annotated[Literal["promoted", "demoted"] | None, Query()] = "promoted",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Any:
        """The latest tier changes (event time), newest first: the live promotions feed."""
        items = await reads.recent_transitions(pool, kind, limit, principal.owner_scope)
        return json_response(PromotionList.model_validate({"items": items}).model_dump(mode="json"))

    @router.get("/filters", response_model=FilterOptions)
    async def get_filters(
        pool: PoolDep,
        counts: Annotated[bool, Query(description="count each segment's leads (slower)")] = False,
    ) -> Any:
        """First-touch channels and campaigns (with their lead counts when asked), and the
        months covered."""
        found = await reads.filter_options(pool, counts)
        segments = found["segments"]
        options = FilterOptions(
            channels=sorted({s["first_channel"] for s in segments if s["first_channel"]}),
            campaigns=sorted({s["first_campaign"] for s in segments if s["first_campaign"]}),
            segments=segments,
            first_seen=found["first"],
            last_seen=found["last"],
        )
        return json_response(options.model_dump(mode="json"))

    @router.get(
        "/leads/{lead_id}/score-history",
        response_model=ScoreHistory,
        responses={404: {"description": "no such lead"}},
    )
    async def get_score_history(pool: PoolDep, principal: PrincipalDep, lead_id: str) -> Any:
        """The lead's score over time: its timeline replayed under the running rules."""
        resolved = await queries.resolve_lead(pool, lead_id)
        lead = visible(principal, await queries.lead_row(pool, resolved) if resolved else None)
        if lead is None:
            raise HTTPException(404, f"no lead {lead_id}")
        rows = await reads.timeline_rows(pool, lead["lead_id"], HISTORY_EVENTS)
        points = score_history(lead["lead_id"], rows, rules, datetime.now(UTC))
        history = ScoreHistory.model_validate(
            {
                "lead_id": lead["lead_id"],
                "rule_version": rules.version,
                "stored_score": lead["score"],
                "events_replayed": len(rows),
                "is_truncated": len(rows) >= HISTORY_EVENTS,
                "points": [asdict(point) for point in points],
            }
        )
        return json_response(history.model_dump(mode="json"))

    return router

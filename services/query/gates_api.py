"""`GET /v1/funnel/gate-violations`: stage moves that lacked what their stage's gate requires."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from funnel.store import queries
from services.query.auth import PrincipalDep, ReadAccess
from services.query.csv_export import table_response
from services.query.deps import PoolDep
from services.query.funnel_api import ANSWERS, funnel_query, period_of

router = APIRouter(prefix="/v1/funnel", tags=["funnel"], dependencies=[ReadAccess])


class GateViolation(BaseModel):
    """A CRM stage move recorded as made, with what the entered stage's gate found missing."""

    event_id: str
    opportunity_id: str
    lead_id: str | None
    owner: str | None
    stage: str = Field(description="the stage entered")
    previous_stage: str | None
    missing: list[str] = Field(description="evidence:<kind>, field:<name> or approval")
    gates_version: str | None
    occurred_at: datetime


class GateViolations(BaseModel):
    items: list[GateViolation]


@router.get("/gate-violations", response_model=GateViolations, responses=ANSWERS)
async def get_gate_violations(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    from_: Annotated[
        datetime | None, Query(alias="from", description="inclusive; UTC when no zone is given")
    ] = None,
    to: Annotated[datetime | None, Query(description="exclusive; UTC when no zone")] = None,
    owner: Annotated[str | None, Query(max_length=200, description="one rep's moves")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """Moves in the period (event time) past their gate, newest first (docs/metrics.md, "Stage
    gates"); a rep's token sees only its own moves."""
    period = period_of(funnel_query(from_, to))
    scope = principal.owner_scope
    if scope is not None and owner not in (None, scope):
        rows: list[dict[str, Any]] = []  # another rep's moves: none of them are visible
    else:
        rows = await queries.gate_violations(pool, period, scope or owner, limit)
    items = [GateViolation.model_validate(row) for row in rows]
    return table_response(request, GateViolations(items=items), items, GateViolation, "violations")

"""`GET /v1/reps/{owner}/todos`: a rep's to-do list for a week (performance/model/todos.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from forecast.store import deals_at_risk
from performance.model.todos import Week, item
from performance.store.todos import rep_todos
from runtime.http_errors import api_error
from runtime.ops_http import invalid_query
from services.query.auth import PrincipalDep, ReadAccess
from services.query.deps import PoolDep, SettingsDep

ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no read token"},
    403: {"description": "not a read token, or a rep token asking for another rep's list"},
}
router = APIRouter(
    prefix="/v1",
    tags=["performance"],
    dependencies=[ReadAccess],
    responses=ANSWERS,  # type: ignore[arg-type]
)


class TodoOut(BaseModel):
    kind: str = Field(description="next_step, at_risk, stale_lead or gate_violation")
    due: date
    lead_id: str | None
    opportunity_id: str | None
    detail: str
    source_id: str = Field(description="the communication, lead or stage change it comes from")


class TodosOut(BaseModel):
    owner: str
    week: str
    starts: date
    ends: date = Field(description="exclusive")
    items: list[TodoOut]


@router.get("/reps/{owner}/todos", response_model=TodosOut)
async def get_todos(
    pool: PoolDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    owner: Annotated[str, Path(min_length=1, max_length=200)],
    week: Annotated[
        str | None, Query(pattern=r"^\d{4}-W\d{2}$", description="ISO week; default: this one")
    ] = None,
) -> TodosOut:
    """The week's next steps falling due, quiet leads, moves past their gate (docs/metrics.md,
    "Weekly to-do list"); a rep token reads only its own list."""
    if principal.owner_scope not in (None, owner):
        raise api_error(403, "forbidden", "a rep token reads only its own to-do list")
    tz = ZoneInfo(settings.health_check_timezone)
    try:
        chosen = Week.parse(week) if week else Week.of(datetime.now(UTC).astimezone(tz).date())
    except ValueError as error:
        raise invalid_query("week", str(error)) from error
    schema = settings.funnel_schema
    at, bar = chosen.starts_at(tz), settings.risk_alert_bar
    risks = await deals_at_risk(pool, schema, at, bar, owner)
    found = await rep_todos(pool, schema, chosen, tz, settings.stale_leads, owner, risks)
    todos = found.get(owner, [])
    return TodosOut(
        owner=owner,
        week=chosen.name,
        starts=chosen.start,
        ends=chosen.end,
        items=[TodoOut.model_validate(item(todo)) for todo in todos],
    )

"""Funnel endpoints: the stage table, the tier funnel and the sales cycle (JSON or CSV)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from itertools import pairwise
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from funnel.model.maths import FunnelStep, Period, SalesCycleRow
from funnel.model.stages import DEFAULT_ORDER, StageOrder
from funnel.store import aggregates
from funnel.store.queries import Segment
from runtime.ops_http import invalid_query, utc_or_422
from services.query.auth import ReadAccess
from services.query.csv_export import table_response
from services.query.deps import PoolDep, StageOrderDep
from services.query.models import (
    FunnelQuery,
    GroupBy,
    LostReason,
    SalesCycle,
    StageRowOut,
    StageTable,
    TierFunnel,
    TierRowOut,
)

router = APIRouter(prefix="/v1/funnel", tags=["funnel"], dependencies=[ReadAccess])
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON, or the rows as CSV when the request says Accept: text/csv",
    },
    401: {"description": "no read token"},
    403: {"description": "not a read token"},
}
EARLIEST, LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


def _utc(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def funnel_query(
    from_: Annotated[
        datetime | None, Query(alias="from", description="inclusive; UTC when no zone is given")
    ] = None,
    to: Annotated[datetime | None, Query(description="exclusive; UTC when no zone")] = None,
    channel: Annotated[str | None, Query(description="the lead's first-touch channel")] = None,
    campaign: Annotated[str | None, Query(description="the lead's first-touch campaign")] = None,
    group_by: Annotated[GroupBy | None, Query(description="one row set per group")] = None,
) -> FunnelQuery:
    """The common funnel filters, validated."""
    start, end = _utc(from_), _utc(to)
    for name, at in (("from", start), ("to", end)):
        if at is not None:
            utc_or_422(name, at)
    if start is not None and end is not None and end < start:
        raise invalid_query("to", "`to` is before `from`")
    return FunnelQuery.model_validate(
        {"from": start, "to": end, "channel": channel, "campaign": campaign, "group_by": group_by}
    )


FunnelQueryDep = Annotated[FunnelQuery, Depends(funnel_query)]


def period_of(query: FunnelQuery) -> Period | None:
    """The half-open period the query asks for, None for all time."""
    if query.from_ is None and query.to is None:
        return None
    return Period(query.from_ or EARLIEST, query.to or LATEST)


def segment_of(query: FunnelQuery) -> Segment:
    """The leads the query covers."""
    return Segment(query.channel, query.campaign)


async def stage_rows(
    pool: Any, query: FunnelQuery, order: StageOrder = DEFAULT_ORDER
) -> list[StageRowOut]:
    """Stage table rows per group, over the stays entered in the period."""
    tables = await aggregates.stage_tables(
        pool, period_of(query), segment_of(query), query.group_by, order
    )
    rows = []
    for group, table in tables:
        for row in table:
            values = asdict(row)
            reasons = values.pop("top_lost_reasons")
            lost = [LostReason(reason=reason, count=count) for reason, count in reasons]
            rows.append(StageRowOut(group=group, **values, top_lost_reasons=lost))
    return rows


async def tier_rows(pool: Any, query: FunnelQuery) -> list[TierRowOut]:
    """Tier funnel rows per group, over the leads first seen in the period."""
    funnel = await aggregates.tier_funnel_rows(
        pool, period_of(query), segment_of(query), query.group_by
    )
    rows = []
    for row in funnel:
        values: dict[str, Any] = {"group": row.group}
        values.update({step.value: row.counts[step] for step in FunnelStep})
        for before, step in pairwise(FunnelStep):
            values[f"{before.value}_to_{step.value}"] = row.step_conversion[step]
            values[f"median_days_{before.value}_to_{step.value}"] = row.median_days[step]
        rows.append(TierRowOut(**values))
    return rows


async def cycle_rows(pool: Any, query: FunnelQuery) -> list[SalesCycleRow]:
    """Sales cycle per month of winning, over the deals won in the period."""
    return await aggregates.sales_cycle_rows(pool, period_of(query), segment_of(query))


@router.get("/stages", response_model=StageTable, responses=ANSWERS)
async def get_stages(
    request: Request, pool: PoolDep, query: FunnelQueryDep, order: StageOrderDep
) -> Response:
    """Per sales stage: entered, exited, days in stage, conversion and top lost reasons."""
    rows = await stage_rows(pool, query, order)
    return table_response(request, StageTable(query=query, rows=rows), rows, StageRowOut, "stages")


@router.get("/tiers", response_model=TierFunnel, responses=ANSWERS)
async def get_tiers(request: Request, pool: PoolDep, query: FunnelQueryDep) -> Response:
    """Leads reaching lead → MQL → SQL → Opportunity → won, with step rates and median days."""
    rows = await tier_rows(pool, query)
    return table_response(request, TierFunnel(query=query, rows=rows), rows, TierRowOut, "tiers")


@router.get("/cycle", response_model=SalesCycle, responses=ANSWERS)
async def get_cycle(request: Request, pool: PoolDep, query: FunnelQueryDep) -> Response:
    """Days from first contact to won, average and median, per month of winning."""
    rows = await cycle_rows(pool, query)
    return table_response(request, SalesCycle(query=query, rows=rows), rows, SalesCycleRow, "cycle")

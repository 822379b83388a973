"""`GET /v1/funnel/costs`: marketing spend per channel / campaign beside the tier funnel cohort."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response

from funnel.model.costs import (
    CostGroupBy,
    CostRow,
    Counts,
    GroupKey,
    cost_rows,
    month_share,
    total_row,
)
from funnel.model.maths import FunnelStep, Period
from funnel.model.tiers import UNKNOWN_GROUP
from funnel.store import aggregates, queries
from funnel.store.queries import Segment
from services.query.auth import ReadAccess
from services.query.csv_export import table_response
from services.query.deps import PoolDep, SettingsDep
from services.query.funnel_api import ANSWERS, funnel_query, period_of
from services.query.models import ChannelCosts, CostRowOut, CostsQuery, FunnelQuery, SpendMonth

router = APIRouter(prefix="/v1/funnel", tags=["funnel"], dependencies=[ReadAccess])


def costs_query(
    from_: Annotated[
        datetime | None, Query(alias="from", description="inclusive; UTC when no zone is given")
    ] = None,
    to: Annotated[datetime | None, Query(description="exclusive; UTC when no zone")] = None,
    group_by: Annotated[CostGroupBy, Query(description="one row per channel or campaign")] = (
        "channel"
    ),
) -> CostsQuery:
    """The period (validated as every funnel route does) and the grouping."""
    period = funnel_query(from_, to)
    return CostsQuery.model_validate({"from": period.from_, "to": period.to, "group_by": group_by})


CostsQueryDep = Annotated[CostsQuery, Depends(costs_query)]


async def cohorts(
    pool: Any, period: Period | None, group_by: CostGroupBy
) -> dict[GroupKey, Counts]:
    """The tier funnel's counts per channel, or per channel and campaign (one query a channel)."""
    by_channel = await aggregates.tier_funnel_rows(
        pool, period, Segment(), "channel", medians=False
    )
    if group_by == "channel":
        return {(row.group, None): row.counts for row in by_channel}
    found: dict[GroupKey, Counts] = {}
    for row in by_channel:
        if row.group == UNKNOWN_GROUP:  # no segment selects a missing channel (events name one)
            found[(UNKNOWN_GROUP, UNKNOWN_GROUP)] = row.counts
            continue
        segment = Segment(channel=row.group)
        rows = await aggregates.tier_funnel_rows(pool, period, segment, "campaign", medians=False)
        for campaign in rows:
            found[(row.group, campaign.group)] = campaign.counts
    return found


def _out(row: CostRow) -> CostRowOut:
    counts = {step.value: row.counts[step] for step in FunnelStep}
    costs = {f"cost_per_{step.value}": row.cost_per[step] for step in FunnelStep}
    return CostRowOut(
        channel=row.channel, campaign=row.campaign, spend=row.spend, **counts, **costs
    )


@router.get("/costs", response_model=ChannelCosts, responses=ANSWERS)
async def get_costs(
    request: Request, pool: PoolDep, settings: SettingsDep, query: CostsQueryDep
) -> Response:
    """Spend per channel or campaign and cost per lead, MQL, SQL, opportunity and won lead."""
    period = period_of(FunnelQuery.model_validate({"from": query.from_, "to": query.to}))
    tz = ZoneInfo(settings.health_check_timezone)
    spend = await queries.channel_spend(pool, settings.reporting_currency)
    rows = cost_rows(spend, await cohorts(pool, period, query.group_by), query.group_by, period, tz)
    months = sorted({s.month for s in spend})
    shares = [SpendMonth(month=m, share=month_share(m, period, tz)) for m in months]
    out = [_out(row) for row in rows]
    answer = ChannelCosts(
        query=query,
        currency=settings.reporting_currency,
        time_zone=settings.health_check_timezone,
        months=[month for month in shares if month.share > 0],
        total=_out(total_row(rows)),
        rows=out,
    )
    return table_response(request, answer, out, CostRowOut, "costs")

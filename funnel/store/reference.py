"""The funnel tables the first way: load every row of the period, run the pure functions.

The query API answers from `funnel.store.aggregates` (SQL); this path stays as the reference the
property tests compare those answers with, and as the baseline `python -m bench funnel` times.
"""

from __future__ import annotations

from collections import defaultdict

from funnel.model.maths import (
    SalesCycleRow,
    StageRow,
    sales_cycle,
    stage_table,
    tier_funnel,
    won_deals,
)
from funnel.model.periods import Period, month_of
from funnel.model.rows import StageIntervalRow
from funnel.model.tiers import ALL_GROUP, UNKNOWN_GROUP, GroupBy, TierFunnelRow
from funnel.store import queries
from funnel.store.queries import Connection, Segment


def _stay_group(
    stay: StageIntervalRow, channel: str | None, campaign: str | None, by: GroupBy | None
) -> str:
    match by:
        case "channel":
            return channel or UNKNOWN_GROUP
        case "campaign":
            return campaign or UNKNOWN_GROUP
        case "month":
            return month_of(stay.entered_at)
    return ALL_GROUP


async def stage_tables(
    conn: Connection, period: Period | None, segment: Segment, group_by: GroupBy | None
) -> list[tuple[str, list[StageRow]]]:
    """`stage_table` per group of the stays entered in the period; groups sorted, at least 'all'."""
    stays = await queries.stage_stays(conn, period, segment)
    groups: dict[str, list[StageIntervalRow]] = defaultdict(list)
    for stay, channel, campaign in stays:
        groups[_stay_group(stay, channel, campaign, group_by)].append(stay)
    return [
        (group, stage_table(groups[group], period=period))
        for group in sorted(groups) or [ALL_GROUP]
    ]


async def tier_funnel_rows(
    conn: Connection, period: Period | None, segment: Segment, group_by: GroupBy | None
) -> list[TierFunnelRow]:
    """`tier_funnel` over the leads first seen in the period, one row per group, sorted."""
    leads = await queries.tier_histories(conn, period, segment)
    return tier_funnel(leads, group_by=group_by, period=period)


async def sales_cycle_rows(
    conn: Connection, period: Period | None, segment: Segment
) -> list[SalesCycleRow]:
    """`sales_cycle` of `won_deals` for the opportunities won in the period, per month."""
    stays = await queries.won_opportunity_stays(conn, period, segment)
    return sales_cycle(won_deals(stays), period=period)

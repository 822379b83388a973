"""Inputs of the health and busy checks, read from the funnel projector's tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from alerts.model.busy import Communication
from funnel.model.periods import Period
from funnel.model.rows import StageIntervalRow
from funnel.model.stages import DEFAULT_ORDER
from funnel.model.tiers import LeadTierHistory
from funnel.store.queries import INTERVAL_COLUMNS, plain_schema
from schemas.outgoing import Tier

Connection = Any  # asyncpg.Connection or a pool connection proxy (both untyped)
_MQL_AT = "LEAST(mql_at, sql_at, opportunity_at, won_at)"  # the reach rule of docs/metrics.md


async def tier_histories(conn: Connection, schema: str, window: Period) -> list[LeadTierHistory]:
    """Leads that reached MQL (or a later tier) inside the window."""
    rows = await conn.fetch(
        f"SELECT lead_id, COALESCE(first_seen_at, {_MQL_AT}) AS first_seen_at, first_channel,"
        f" first_campaign, mql_at, sql_at, opportunity_at, won_at FROM {plain_schema(schema)}.leads"
        f" WHERE {_MQL_AT} >= $1 AND {_MQL_AT} < $2",
        window.start,
        window.end,
    )
    tiers = ((Tier.MQL, "mql_at"), (Tier.SQL, "sql_at"), (Tier.OPPORTUNITY, "opportunity_at"))
    return [
        LeadTierHistory(
            lead_id=row["lead_id"],
            first_seen_at=row["first_seen_at"],
            channel=row["first_channel"],
            campaign=row["first_campaign"],
            reached={tier: row[column] for tier, column in tiers if row[column] is not None},
            won_at=row["won_at"],
        )
        for row in rows
    ]


async def stage_stays(
    conn: Connection,
    schema: str,
    window: Period,
    as_of: datetime,
    longest_sla_days: float,
    first_stage: str = DEFAULT_ORDER.first,
) -> list[StageIntervalRow]:
    """Stays due in the window, every stay of deals won in it, first-stage stays open at as_of."""
    table = f"{plain_schema(schema)}.stage_intervals"
    rows = await conn.fetch(
        f"SELECT {INTERVAL_COLUMNS} FROM {table} i WHERE (entered_at >= $1 AND entered_at < $2)"
        f" OR opportunity_id IN (SELECT opportunity_id FROM {table}"
        "  WHERE outcome = 'won' AND exited_at >= $3 AND exited_at < $2)"
        " OR (stage = $4 AND entered_at <= $5 AND (exited_at IS NULL OR exited_at > $5))",
        window.start - timedelta(days=longest_sla_days),
        window.end,
        window.start,
        first_stage,
        as_of,
    )
    return [StageIntervalRow(*row) for row in rows]


async def communications(conn: Connection, schema: str, window: Period) -> list[Communication]:
    """Communications logged with an owner inside the window."""
    rows = await conn.fetch(
        f"SELECT owner, occurred_at, is_effective FROM {plain_schema(schema)}.communications"
        " WHERE owner IS NOT NULL AND occurred_at >= $1 AND occurred_at < $2",
        window.start,
        window.end,
    )
    return [Communication(row["owner"], row["occurred_at"], row["is_effective"]) for row in rows]

"""Inputs of the churn-risk model, read from the funnel projector's tables."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from forecast.model.features import Contact
from funnel.model.rows import StageIntervalRow
from funnel.store.queries import INTERVAL_COLUMNS, plain_schema

Connection = Any  # asyncpg.Connection or a pool connection proxy (both untyped)
# The lead's own behaviour: what the CRM records (stages, communications, feedback) is not.
ACTIVITY = "channel <> 'crm'"


async def every_stay(conn: Connection, schema: str) -> list[StageIntervalRow]:
    """Every stage stay, by opportunity then entry."""
    rows = await conn.fetch(
        f"SELECT {INTERVAL_COLUMNS} FROM {plain_schema(schema)}.stage_intervals i"
        " ORDER BY opportunity_id, seq"
    )
    return [StageIntervalRow(*row) for row in rows]


async def contacts(conn: Connection, schema: str, lead_ids: list[str]) -> list[Contact]:
    """The communications logged with these leads."""
    rows = await conn.fetch(
        "SELECT lead_id, opportunity_id, occurred_at, is_effective"
        f" FROM {plain_schema(schema)}.communications WHERE lead_id = ANY($1::text[])",
        lead_ids,
    )
    return [Contact(*row) for row in rows]


async def activity(
    conn: Connection, schema: str, lead_ids: list[str]
) -> dict[str, tuple[datetime, ...]]:
    """Per lead, the times of its own behaviour events, oldest first."""
    found: dict[str, list[datetime]] = defaultdict(list)
    for lead_id, at in await conn.fetch(
        f"SELECT lead_id, occurred_at FROM {plain_schema(schema)}.lead_events"
        f" WHERE lead_id = ANY($1::text[]) AND {ACTIVITY} ORDER BY occurred_at",
        lead_ids,
    ):
        found[lead_id].append(at)
    return {lead_id: tuple(times) for lead_id, times in found.items()}

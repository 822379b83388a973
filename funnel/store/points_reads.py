"""Inputs of the rep points and the KPI table, read from the funnel projector's tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from funnel.model.rows import StageIntervalRow
from funnel.store.queries import INTERVAL_COLUMNS

Connection = Any  # an asyncpg connection or pool; asyncpg ships no type information


async def opportunity_stays(
    conn: Connection, opportunity_ids: Sequence[str]
) -> list[StageIntervalRow]:
    """Every stay of these opportunities."""
    rows = await conn.fetch(
        f"SELECT {INTERVAL_COLUMNS} FROM stage_intervals i WHERE opportunity_id = ANY($1::text[])",
        list(opportunity_ids),
    )
    return [StageIntervalRow(*row) for row in rows]


async def kpi_stays(
    conn: Connection, start: datetime, end: datetime, entered_since: datetime
) -> list[StageIntervalRow]:
    """Stays with an owner that closed in [start, end) or entered since `entered_since` (to judge
    the ones falling due in the window on time or late)."""
    rows = await conn.fetch(
        f"SELECT {INTERVAL_COLUMNS} FROM stage_intervals i WHERE owner IS NOT NULL AND ("
        " (exited_at >= $1 AND exited_at < $2 AND outcome IN ('won', 'lost'))"
        " OR (entered_at >= $3 AND entered_at < $2))",
        start,
        end,
        entered_since,
    )
    return [StageIntervalRow(*row) for row in rows]


async def survivors(conn: Connection, lead_ids: Sequence[str]) -> dict[str, str]:
    """The lead each of these merged leads now resolves to (the others are left out)."""
    rows = await conn.fetch(
        "SELECT merged_lead_id, surviving_lead_id FROM lead_merges"
        " WHERE merged_lead_id = ANY($1::text[])",
        list(lead_ids),
    )
    return {row[0]: row[1] for row in rows}

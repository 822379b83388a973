"""Inputs of the churn-risk model, read from the funnel projector's tables."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from forecast.model.features import Contact, StageNorm, norm_of
from funnel.model.rows import StageIntervalRow
from funnel.store import aggregates
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


async def stays_open_at(
    conn: Connection, schema: str, at: datetime, lead_ids: list[str] | None = None
) -> list[StageIntervalRow]:
    """Every stay of the opportunities in a stage at `at` (entered before, not left by then),
    by opportunity then entry: what `forecast.model.features.snapshot` reads of them
    (`lead_ids`: only these leads' opportunities)."""
    table = f"{plain_schema(schema)}.stage_intervals"
    of_leads = "" if lead_ids is None else " AND lead_id = ANY($2::text[])"
    rows = await conn.fetch(
        f"SELECT {INTERVAL_COLUMNS} FROM {table} i WHERE opportunity_id IN ("
        f"  SELECT opportunity_id FROM {table}"
        f"  WHERE entered_at < $1 AND (exited_at IS NULL OR exited_at >= $1){of_leads})"
        " ORDER BY opportunity_id, seq",
        at,
        *(() if lead_ids is None else (lead_ids,)),
    )
    return [StageIntervalRow(*row) for row in rows]


# Days as `features._days` makes them: exact microseconds / 1e6 / 86,400 in float8, each step
# correctly rounded as Python's; the middle one or two by rank, so the median is Python's too.
_NORM_PARTS = """
WITH ended AS (
    SELECT stage, greatest(0::float8, stay_us::float8 / 1e6::float8 / 86400::float8) AS days,
           outcome = 'lost' AS lost
    FROM {table} WHERE exited_at < $1
), ranked AS (
    SELECT stage, days, row_number() OVER (PARTITION BY stage ORDER BY days) AS n,
           count(*) OVER (PARTITION BY stage) AS ended,
           count(*) FILTER (WHERE lost) OVER (PARTITION BY stage) AS lost
    FROM ended
)
SELECT stage, ended, lost, array_agg(days ORDER BY n) AS middles FROM ranked
WHERE n IN ((ended + 1) / 2, ended / 2 + 1) GROUP BY stage, ended, lost
"""


_ENDED = (
    "SELECT stage, count(*), count(*) FILTER (WHERE outcome = 'lost'), bool_or(exited_at >= $1)"
    " FROM {table} WHERE stay_us IS NOT NULL GROUP BY stage"
)


def _middle_ranks(ended: int) -> list[int]:
    return sorted({(ended + 1) // 2, ended // 2 + 1})


def _days(stay_us: int) -> float:
    return max(0.0, stay_us / 1_000_000 / 86_400.0)  # as `total_seconds() / DAY` rounds it


async def stage_norms(conn: Connection, schema: str, at: datetime) -> dict[str, StageNorm]:
    """`forecast.model.features.stage_norms` of every stay, computed in PostgreSQL: per stage
    the median days and share lost of the stays ended before `at` (only a row per stage
    leaves the database). When every ended stay ended before `at` (scoring now), the middles
    are index walks to their ranks; a past cut-off ranks the stays ended by then."""
    table = f"{plain_schema(schema)}.stage_intervals"
    counts = await conn.fetch(_ENDED.format(table=table), at)
    if any(later for *_, later in counts):
        rows = await conn.fetch(_NORM_PARTS.format(table=table), at)
        return {stage: norm_of(middles, ended, lost) for stage, ended, lost, middles in rows}
    wanted = [(stage, k) for stage, ended, _, _ in counts for k in _middle_ranks(ended)]
    stay_us = await aggregates.stays_at_ranks(conn, wanted, table)
    return {
        stage: norm_of([_days(stay_us[stage, k]) for k in _middle_ranks(ended)], ended, lost)
        for stage, ended, lost, _ in counts
    }


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

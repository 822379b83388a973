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
    conn: Connection,
    schema: str,
    at: datetime,
    lead_ids: list[str] | None = None,
    owner: str | None = None,
) -> list[StageIntervalRow]:
    """Every stay of the opportunities in a stage at `at` (entered before, not left by then),
    by opportunity then entry: what `forecast.model.features.snapshot` reads of them.

    `lead_ids`: only these leads' opportunities. `owner`: only opportunities `owner` may own,
    those of its leads and those a stay names it the owner of (a superset of the deals whose
    owner, the lead's else the deal's, is `owner`).
    """
    table = f"{plain_schema(schema)}.stage_intervals"
    only, args = "", [at]
    if lead_ids is not None:
        args.append(lead_ids)
        only += f" AND lead_id = ANY(${len(args)}::text[])"
    if owner is not None:
        args.append(owner)
        n = len(args)
        only += (
            f" AND (owner = ${n} OR lead_id IN"
            f" (SELECT lead_id FROM {plain_schema(schema)}.leads WHERE owner = ${n}))"
        )
    rows = await conn.fetch(
        f"SELECT {INTERVAL_COLUMNS} FROM {table} i WHERE opportunity_id IN ("
        f"  SELECT opportunity_id FROM {table}"
        f"  WHERE entered_at < $1 AND (exited_at IS NULL OR exited_at >= $1){only})"
        " ORDER BY opportunity_id, seq",
        *args,
    )
    return [StageIntervalRow(*row) for row in rows]


# Per stage the stays ended before the cut-off, and how many of them were lost.
_ENDED = (
    "SELECT stage, count(*), count(*) FILTER (WHERE outcome = 'lost')"
    " FROM {table} WHERE stay_us IS NOT NULL AND exited_at < $1 GROUP BY stage"
)


def _middle_ranks(ended: int) -> list[int]:
    return sorted({(ended + 1) // 2, ended // 2 + 1})


def _days(stay_us: int) -> float:
    return max(0.0, stay_us / 1_000_000 / 86_400.0)  # as `total_seconds() / DAY` rounds it


async def stage_norms(conn: Connection, schema: str, at: datetime) -> dict[str, StageNorm]:
    """`forecast.model.features.stage_norms` of every stay, computed in PostgreSQL: per stage
    the median days and share lost of the stays ended before `at` (only a row per stage
    leaves the database). The middle one or two stays are index-only walks to their ranks
    among the stays ended before `at`, now or at a past cut-off (migration 0020); their days
    are made in Python as `features._days` makes them, so the median is Python's to the bit."""
    table = f"{plain_schema(schema)}.stage_intervals"
    counts = await conn.fetch(_ENDED.format(table=table), at)
    wanted = [(stage, k) for stage, ended, _ in counts for k in _middle_ranks(ended)]
    stay_us = await aggregates.stays_at_ranks(conn, wanted, table, until=at)
    return {
        stage: norm_of([_days(stay_us[stage, k]) for k in _middle_ranks(ended)], ended, lost)
        for stage, ended, lost in counts
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

"""The detector's tables: tracked leads, its event-time clock and its source positions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from alerts.model.stale import LeadActivity, StaleConfig
from alerts.model.tracking import StageMark, TrackedLead
from funnel.store.queries import plain_schema
from schemas.outgoing import Tier

Connection = Any  # asyncpg.Connection or a pool connection proxy (both untyped)
_COLUMNS = (
    "lead_id, tier, tier_at, has_open_opportunity, owner, last_activity_at, active_since,"
    " alerted_idle_since, opportunities, due_at"
)
_TYPES = (
    "text", "text", "timestamptz", "bool", "text", "timestamptz", "timestamptz", "timestamptz",
    "text", "timestamptz",
)  # fmt: skip


async def create_pool(database_url: str, schema: str, max_size: int = 4) -> Any:
    """A pool whose unqualified table names resolve in `schema` (then `public`)."""
    path = {"search_path": f"{plain_schema(schema)},public"}
    return await asyncpg.create_pool(
        database_url, min_size=1, max_size=max_size, server_settings=path
    )


def _lead(row: Mapping[str, Any]) -> TrackedLead:
    marks = orjson.loads(row["opportunities"])
    activity = LeadActivity(
        lead_id=row["lead_id"],
        tier=Tier(row["tier"]),
        has_open_opportunity=row["has_open_opportunity"],
        owner=row["owner"],
        last_activity_at=row["last_activity_at"],
        active_since=row["active_since"],
        alerted_idle_since=row["alerted_idle_since"],
    )
    opportunities = {
        key: StageMark(stage, datetime.fromisoformat(at), event_id)
        for key, (stage, at, event_id) in marks.items()
    }
    return TrackedLead(activity, row["tier_at"], opportunities)


async def load_leads(conn: Connection, lead_ids: Iterable[str]) -> dict[str, TrackedLead]:
    """The tracked leads among `lead_ids`, locked (in id order) until the transaction ends."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM lead_activity WHERE lead_id = ANY($1::text[])"
        " ORDER BY lead_id FOR UPDATE",
        sorted(set(lead_ids)),
    )
    return {row["lead_id"]: _lead(row) for row in rows}


async def due_leads(conn: Connection, now: datetime, limit: int) -> list[TrackedLead]:
    """Leads whose idle deadline passed by `now`, locked; rows other sweepers hold are skipped."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM lead_activity WHERE due_at < $1"
        " ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    return [_lead(row) for row in rows]


async def leads_by_opportunity(conn: Connection, opportunity_ids: Iterable[str]) -> dict[str, str]:
    """The lead each known opportunity belongs to."""
    wanted = sorted(set(opportunity_ids))
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT lead_id, opportunities FROM lead_activity WHERE opportunities ?| $1::text[]", wanted
    )
    found: dict[str, str] = {}
    for row in rows:
        for key in orjson.loads(row["opportunities"]):
            found.setdefault(key, row["lead_id"])
    return found


def _cells(lead: TrackedLead, config: StaleConfig) -> tuple[Any, ...]:
    a = lead.activity
    marks = {k: [m.stage, m.at.isoformat(), m.event_id] for k, m in lead.opportunities.items()}
    return (
        a.lead_id, str(a.tier), lead.tier_at, a.has_open_opportunity, a.owner,
        a.last_activity_at, a.active_since, a.alerted_idle_since,
        orjson.dumps(marks).decode(), lead.due_at(config),
    )  # fmt: skip


async def save_leads(conn: Connection, leads: Iterable[TrackedLead], config: StaleConfig) -> int:
    """Upsert the leads in one statement; returns how many."""
    rows = [_cells(lead, config) for lead in leads]
    if not rows:
        return 0
    names = [name.strip() for name in _COLUMNS.split(",")]
    params = ", ".join(f"${i}::{t}[]" for i, t in enumerate(_TYPES, 1))
    selected = ", ".join("x.opportunities::jsonb" if n == "opportunities" else n for n in names)
    sets = ", ".join(f"{n} = EXCLUDED.{n}" for n in names[1:])
    await conn.execute(
        f"INSERT INTO lead_activity ({_COLUMNS}) SELECT {selected}"
        f" FROM unnest({params}) AS x({_COLUMNS}) ON CONFLICT (lead_id) DO UPDATE SET {sets}",
        *[list(column) for column in zip(*rows, strict=True)],
    )
    return len(rows)


async def advance_clock(conn: Connection, consumer: str, at: datetime) -> None:
    """Move the consumer's event-time clock forward to `at` (never back)."""
    await conn.execute(
        "INSERT INTO event_clock AS c (consumer, max_event_at) VALUES ($1, $2)"
        " ON CONFLICT (consumer) DO UPDATE SET max_event_at = GREATEST(c.max_event_at, $2)",
        consumer,
        at,
    )


async def read_clock(conn: Connection) -> datetime | None:
    """The latest event time any consumer of this schema has seen."""
    at: datetime | None = await conn.fetchval("SELECT max(max_event_at) FROM event_clock")
    return at

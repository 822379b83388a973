"""Inputs of the weekly to-do lists, read from the funnel projector's tables: the reps' next
steps, quiet leads and moves past a gate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from typing import Any

from funnel.model.stages import LOST, WON
from funnel.store.queries import plain_schema
from performance.model.todos import NextStep, PastGate, QuietLead, Week
from schemas.outgoing import Tier

Connection = Any  # an asyncpg connection or pool; asyncpg ships no type information
STEP_HORIZON = timedelta(days=90)  # next steps agreed this long before the week still count
ACTIVE_TIERS = [Tier.MQL.value, Tier.SQL.value, Tier.OPPORTUNITY.value]


@dataclass
class RepInputs:
    """What one rep's list is made of."""

    steps: list[NextStep] = field(default_factory=list)
    leads: list[QuietLead] = field(default_factory=list)
    moves: list[PastGate] = field(default_factory=list)


async def todo_inputs(
    conn: Connection,
    schema: str,
    week: Week,
    tz: tzinfo,
    allowed_idle: Callable[[str], timedelta],
    owner: str | None = None,
) -> dict[str, RepInputs]:
    """Per owner (one, or every owner with something), the rows of the week's list, from the
    read models in `schema`."""
    start, at = week.starts_at(tz), plain_schema(schema)
    found: dict[str, RepInputs] = defaultdict(RepInputs)
    steps = await conn.fetch(
        "SELECT owner, communication_id, lead_id, opportunity_id, occurred_at, next_step_due"
        f" FROM {at}.communications c WHERE owner IS NOT NULL AND ($1::text IS NULL OR owner = $1)"
        " AND occurred_at >= $2 AND occurred_at < $3 AND (opportunity_id IS NULL OR NOT EXISTS"
        f" (SELECT 1 FROM {at}.stage_changes s WHERE s.opportunity_id = c.opportunity_id"
        " AND s.stage = ANY($4::text[])))",  # a deal won or lost has no next step left
        owner,
        start - STEP_HORIZON,
        week.starts_at(tz) + timedelta(days=7),
        [WON, LOST],
    )
    for row in steps:
        values = dict(row)
        found[values.pop("owner")].steps.append(NextStep(**values))
    leads = await conn.fetch(
        f"SELECT owner, lead_id, tier, last_activity_at FROM {at}.leads"
        " WHERE owner IS NOT NULL AND ($1::text IS NULL OR owner = $1)"
        " AND tier = ANY($2::text[]) AND won_at IS NULL AND lost_at IS NULL"
        " AND last_activity_at < $3",
        owner,
        ACTIVE_TIERS,
        start,
    )
    for row in leads:
        idle = allowed_idle(row["tier"])
        found[row["owner"]].leads.append(
            QuietLead(row["lead_id"], row["tier"], row["last_activity_at"], idle)
        )
    moves = await conn.fetch(
        "SELECT owner, event_id, lead_id, opportunity_id, stage, gate_missing, occurred_at"
        f" FROM {at}.stage_changes WHERE owner IS NOT NULL AND ($1::text IS NULL OR owner = $1)"
        " AND cardinality(gate_missing) > 0 AND occurred_at >= $2 AND occurred_at < $3",
        owner,
        start - timedelta(days=7),
        start,
    )
    for row in moves:
        found[row["owner"]].moves.append(
            PastGate(
                row["event_id"],
                row["lead_id"],
                row["opportunity_id"],
                row["stage"],
                tuple(row["gate_missing"]),
                row["occurred_at"],
            )
        )
    return dict(found)

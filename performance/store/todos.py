"""The weekly to-do lists of the reps, from the inputs funnel.store.todo_reads reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta, tzinfo
from typing import Any

from alerts.model.stale import StaleConfig
from funnel.store.todo_reads import RepInputs, todo_inputs
from performance.model.todos import AtRisk, Todo, Week, weekly_todos
from schemas.outgoing import Tier

Connection = Any  # an asyncpg connection or pool; asyncpg ships no type information


async def rep_todos(
    conn: Connection,
    schema: str,
    week: Week,
    tz: tzinfo,
    stale: StaleConfig,
    owner: str | None = None,
    risks: Mapping[str, list[AtRisk]] | None = None,
) -> dict[str, list[Todo]]:
    """The week's to-do list of one rep, or of every rep with something to do (`risks`: the
    deals at risk per owner, when a risk model is trained)."""

    def allowed_idle(tier: str) -> timedelta:
        return stale.allowed_idle(Tier(tier), tier == Tier.OPPORTUNITY)

    found = await todo_inputs(conn, schema, week, tz, allowed_idle, owner)
    risky = {rep: deals for rep, deals in (risks or {}).items() if owner in (None, rep)}
    return {
        rep: weekly_todos(week, inputs.steps, inputs.leads, inputs.moves, risky.get(rep, []), tz=tz)
        for rep in sorted({*found, *risky})
        for inputs in [found.get(rep, RepInputs())]
    }

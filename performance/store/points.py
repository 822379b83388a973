"""SQL of the points read model (`rep_activity`): the projector's writes and the query's reads
(what they read of the funnel's own tables comes from funnel.store.points_reads)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import orjson

from funnel.store import points_reads as reads
from performance.model.awards import Activity, event_activities, stay_activity
from performance.model.rules import PointsRules
from schemas.outgoing import LeadsMerged, ResolvedEvent

Connection = Any  # an asyncpg connection or pool; asyncpg ships no type information

_COLUMNS = tuple(f.name for f in fields(Activity))
_TYPES = {"occurred_at": "timestamptz"}
_PARAMS = ", ".join(f"${i}::{_TYPES.get(n, 'text')}[]" for i, n in enumerate(_COLUMNS, 1))
_ROWS = f"unnest({_PARAMS})"
_VALUES = ", ".join("x.awards::jsonb" if n == "awards" else f"x.{n}" for n in _COLUMNS)
_INSERT = (
    f"INSERT INTO rep_activity AS t ({', '.join(_COLUMNS)})"
    f" SELECT {_VALUES} FROM {_ROWS} AS x({', '.join(_COLUMNS)})"
)
# A re-sent communication replaces the stored one only when newer (same rows in any order).
ACTIVITY_UPSERT = (
    _INSERT
    + " ON CONFLICT (source, source_id) DO UPDATE SET "
    + ", ".join(f"{n} = EXCLUDED.{n}" for n in _COLUMNS if n not in ("source", "source_id"))
    + " WHERE (EXCLUDED.occurred_at, EXCLUDED.event_id) > (t.occurred_at, t.event_id)"
)


def _arrays(activities: Sequence[Activity]) -> list[list[Any]]:
    return [
        [
            orjson.dumps(a.awards).decode() if name == "awards" else getattr(a, name)
            for a in activities
        ]
        for name in _COLUMNS
    ]


async def apply_awards(
    conn: Connection, facts: Iterable[object], opportunity_ids: Sequence[str], rules: PointsRules
) -> dict[str, int]:
    """Award a batch's communications and feedback, and re-award the stays of the opportunities
    whose intervals the batch re-derived (call it after `store.apply_changes`, same transaction:
    the batch's merges are in `lead_merges` by then, chains flattened)."""
    facts = list(facts)
    merged = [f.merged_lead_id for f in facts if isinstance(f, LeadsMerged)]
    moved = await reads.survivors(conn, merged) if merged else {}
    if moved:  # what earlier batches awarded about a lead merged now follows its survivor
        await conn.execute(
            "UPDATE rep_activity a SET lead_id = m.survivor"
            " FROM unnest($1::text[], $2::text[]) AS m(merged, survivor)"
            " WHERE a.lead_id = m.merged",
            list(moved),
            list(moved.values()),
        )
    leads = sorted({f.lead_id for f in facts if isinstance(f, ResolvedEvent)})
    aliases = await reads.survivors(conn, leads) if leads else {}
    activities = event_activities(facts, rules, aliases)
    if activities:
        await conn.execute(ACTIVITY_UPSERT, *_arrays(activities))
    stays: list[Activity] = []
    if opportunity_ids:
        found = await reads.opportunity_stays(conn, opportunity_ids)
        stays = [a for stay in found if (a := stay_activity(stay, rules)) is not None]
        await conn.execute(
            "DELETE FROM rep_activity WHERE source = 'stay' AND opportunity_id = ANY($1::text[])",
            list(opportunity_ids),
        )
        if stays:
            await conn.execute(_INSERT, *_arrays(stays))
    return {"rep_activity": len(activities) + len(stays)}


# --- reads ------------------------------------------------------------------------------------


async def points_by_rule(
    conn: Connection, start: datetime, end: datetime, tz: str
) -> list[tuple[str, str, str, float, int]]:
    """(owner, month, rule, points, activities) of the activities in [start, end)."""
    rows = await conn.fetch(
        "SELECT owner, to_char(occurred_at AT TIME ZONE $3, 'YYYY-MM') AS month, a.key,"
        " sum(a.value::float8), count(*)"
        " FROM rep_activity, jsonb_each_text(awards) AS a(key, value)"
        " WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY 1, 2, 3",
        start,
        end,
        tz,
    )
    return [(r[0], r[1], r[2], float(r[3]), int(r[4])) for r in rows]


async def owners_seen(conn: Connection, start: datetime, end: datetime) -> list[str]:
    """Every rep with an activity in [start, end)."""
    rows = await conn.fetch(
        "SELECT DISTINCT owner FROM rep_activity WHERE occurred_at >= $1 AND occurred_at < $2",
        start,
        end,
    )
    return sorted(row[0] for row in rows)

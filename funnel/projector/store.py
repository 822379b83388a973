"""Set-based writes of a batch's rows (one statement per table, arrays via unnest) and positions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any

import orjson

from funnel.model.intervals import stage_intervals
from funnel.model.rows import (
    CommunicationRow,
    IdentityRow,
    LeadPatch,
    MergeRow,
    RowChanges,
    SpendRow,
    StageChangeRow,
    StageIntervalRow,
    TimelineRow,
    TransitionRow,
)
from funnel.model.stages import DEFAULT_ORDER, StageOrder

Connection = Any  # asyncpg ships no type information
Position = tuple[str, int]  # (topic, partition)

LEAD_COLUMNS = tuple(f.name for f in fields(LeadPatch))
_PG_TYPES = {
    "score": "float8",
    "score_offset": "int8",
    "reach_offset": "int8",
    "contributions": "text",
    **{name: "timestamptz" for name in LEAD_COLUMNS if name.endswith("_at")},
}
_ARRAY_COLUMNS = {"reasons", "linking_identities", "evidence", "gate_missing", "exit_gate_missing"}
_JSON_COLUMNS = {"contributions", "properties", *_ARRAY_COLUMNS}  # arrays travel as JSON
_NEWER = {  # when the incoming (x) value of a column group replaces the stored (l) one
    "score": "x.score_offset IS NOT NULL"
    " AND (l.score_offset IS NULL OR x.score_offset > l.score_offset)",
    "first": "x.first_seen_at IS NOT NULL AND (l.first_seen_at IS NULL"
    " OR (x.first_seen_at, x.first_event_id) < (l.first_seen_at, l.first_event_id))",
    "owner": "x.owner_changed_at IS NOT NULL AND (l.owner_changed_at IS NULL"
    " OR (x.owner_changed_at, x.owner_event_id) > (l.owner_changed_at, l.owner_event_id))",
}
_GROUPS = {
    "score": (
        "tier",
        "score",
        "rule_version",
        "contributions",
        "score_event_id",
        "score_changed_at",
        "score_offset",
    ),
    "first": ("first_seen_at", "first_event_id", "first_channel", "first_campaign"),
    "owner": ("owner", "owner_changed_at", "owner_event_id"),
}
_LATEST = ("last_activity_at", "last_effective_contact_at")
_REACHED = ("mql_at", "sql_at", "opportunity_at")  # the latest reach times, else earliest
_EARLIEST = ("won_at", "lost_at")


def _cell(name: str, value: Any) -> Any:
    if name in _JSON_COLUMNS and value is not None and not isinstance(value, str):
        return orjson.dumps(value).decode()
    return value


def _arrays(rows: Sequence[Any], names: Sequence[str]) -> list[list[Any]]:
    return [[_cell(name, getattr(row, name)) for row in rows] for name in names]


def _unnest(names: Sequence[str], types: dict[str, str]) -> str:
    params = ", ".join(f"${i}::{types.get(n, 'text')}[]" for i, n in enumerate(names, 1))
    return f"unnest({params}) AS x({', '.join(names)})"


def _lead_upsert_sql() -> str:
    """INSERT … ON CONFLICT whose SET repeats LeadPatch.merge: same rows whatever the order."""
    inserted = [
        "COALESCE(x.tier, 'lead')"
        if n == "tier"
        else "COALESCE(x.score, 0)"
        if n == "score"
        else "COALESCE(x.contributions::jsonb, '{}'::jsonb)"
        if n == "contributions"
        else f"x.{n}"
        for n in LEAD_COLUMNS
    ]
    newer = {group: cond.replace("x.", "EXCLUDED.") for group, cond in _NEWER.items()}
    sets = [
        f"{n} = CASE WHEN {newer[group]} THEN EXCLUDED.{n} ELSE l.{n} END"
        for group, names in _GROUPS.items()
        for n in names
    ]
    sets += [f"{n} = GREATEST(l.{n}, EXCLUDED.{n})" for n in _LATEST]
    sets += [f"{n} = LEAST(l.{n}, EXCLUDED.{n})" for n in _EARLIEST]
    reach_newer = (
        "EXCLUDED.reach_offset IS NOT NULL"
        " AND (l.reach_offset IS NULL OR EXCLUDED.reach_offset > l.reach_offset)"
    )
    sets += [
        f"{n} = CASE WHEN {reach_newer} THEN EXCLUDED.{n}"
        f" WHEN l.reach_offset IS NOT NULL THEN l.{n} ELSE LEAST(l.{n}, EXCLUDED.{n}) END"
        for n in _REACHED
    ]
    sets.append("reach_offset = GREATEST(l.reach_offset, EXCLUDED.reach_offset)")
    return (
        f"INSERT INTO leads AS l ({', '.join(LEAD_COLUMNS)})"
        f" SELECT {', '.join(inserted)} FROM {_unnest(LEAD_COLUMNS, _PG_TYPES)}"
        f" ON CONFLICT (lead_id) DO UPDATE SET {', '.join(sets)}"
    )


LEAD_UPSERT = _lead_upsert_sql()


def _insert_sql(table: str, row_type: type, types: dict[str, str], conflict: str) -> str:
    names = [f.name for f in fields(row_type)]
    selected = [
        f"CASE WHEN x.{n} IS NULL THEN NULL"
        f" ELSE ARRAY(SELECT jsonb_array_elements_text(x.{n}::jsonb)) END"
        if n in _ARRAY_COLUMNS
        else f"x.{n}::jsonb"
        if n == "properties"
        else f"x.{n}"
        for n in names
    ]
    return (
        f"INSERT INTO {table} AS t ({', '.join(names)}) SELECT {', '.join(selected)}"
        f" FROM {_unnest(names, types)} {conflict}"
    )


_AT = "timestamptz"
IDENTITY_UPSERT = _insert_sql(
    "lead_identities",
    IdentityRow,
    {"first_seen_at": _AT},
    "ON CONFLICT (lead_id, identity) DO UPDATE SET first_seen_at = EXCLUDED.first_seen_at"
    " WHERE EXCLUDED.first_seen_at < t.first_seen_at",
)
TIMELINE_INSERT = _insert_sql(
    "lead_events", TimelineRow, {"occurred_at": _AT}, "ON CONFLICT (event_id) DO NOTHING"
)
TRANSITION_INSERT = _insert_sql(
    "tier_transitions",
    TransitionRow,
    {"occurred_at": _AT, "score": "float8"},
    "ON CONFLICT (transition_id) DO NOTHING",
)
COMMUNICATION_UPSERT = _insert_sql(
    "communications",
    CommunicationRow,
    {
        "occurred_at": _AT,
        "is_effective": "bool",
        "need_identified": "bool",
        "next_step_agreed": "bool",
        "next_step_due": "date",
        "referral_obtained": "bool",
    },
    "ON CONFLICT (communication_id) DO UPDATE SET "
    + ", ".join(
        f"{f.name} = EXCLUDED.{f.name}"
        for f in fields(CommunicationRow)
        if f.name != "communication_id"
    )
    + " WHERE (EXCLUDED.occurred_at, EXCLUDED.event_id) > (t.occurred_at, t.event_id)",
)
STAGE_CHANGE_UPSERT = _insert_sql(
    "stage_changes",
    StageChangeRow,
    {"occurred_at": _AT, "amount": "float8"},
    "ON CONFLICT (event_id) DO UPDATE SET lead_id = EXCLUDED.lead_id"
    " WHERE t.lead_id IS NULL AND EXCLUDED.lead_id IS NOT NULL",
)
SPEND_UPSERT = _insert_sql(
    "channel_spend",
    SpendRow,
    {"recorded_at": _AT, "amount": "float8"},
    "ON CONFLICT (spend_id) DO UPDATE SET "
    + ", ".join(f"{f.name} = EXCLUDED.{f.name}" for f in fields(SpendRow) if f.name != "spend_id")
    + " WHERE (EXCLUDED.recorded_at, EXCLUDED.amount, EXCLUDED.source)"
    " > (t.recorded_at, t.amount, t.source)",  # SpendRow.is_newer_than
)
MERGE_INSERT = _insert_sql(
    "lead_merges", MergeRow, {"occurred_at": _AT}, "ON CONFLICT (merged_lead_id) DO NOTHING"
)
INTERVAL_INSERT = _insert_sql(
    "stage_intervals",
    StageIntervalRow,
    {
        "seq": "int4",
        "entered_at": _AT,
        "exited_at": _AT,
        "amount": "float8",
    },
    "",
)
REPOINTED_TABLES = (
    "lead_events",
    "tier_transitions",
    "communications",
    "stage_changes",
    "lead_contacts",  # sealed contact rows follow their lead into the survivor
)


def lock_key(projector: str) -> str:
    """Name of the advisory lock a rebuild's swap takes alone and every batch shares."""
    return f"funnel:{projector}"


async def lock(conn: Connection, projector: str, keys: Iterable[str] = ()) -> None:
    """Lock this transaction's share of the read models: the projector, then each key alone.

    Batches share the projector's lock (a swap takes it alone) and take an exclusive lock per
    lead and opportunity they touch, in one sorted statement: projectors that own different
    partitions run side by side, and two batches touching the same lead run one after the other.
    """
    await conn.execute("SELECT pg_advisory_xact_lock_shared(hashtext($1))", lock_key(projector))
    await lock_keys(conn, projector, keys)


LOCK_BUCKETS = 1024  # keys share locks by hash: a batch holds at most this many


async def lock_keys(conn: Connection, projector: str, keys: Iterable[str]) -> None:
    """Exclusive transaction locks on `keys` of this projector, taken in a fixed order.

    Keys map onto `LOCK_BUCKETS` locks of the projector: a batch of thousands of leads must not
    fill PostgreSQL's shared lock table (64 × max_connections slots), and two batches sharing a
    bucket merely wait for each other.
    """
    names = sorted(set(keys))
    if names:
        await conn.execute(
            "SELECT count(pg_advisory_xact_lock(hashtext($1), b)) FROM"
            " (SELECT DISTINCT (hashtextextended(k, 0) & $3)::int4 AS b"
            "  FROM unnest($2::text[]) k ORDER BY 1) s",
            projector,
            names,
            LOCK_BUCKETS - 1,
        )


async def load_aliases(conn: Connection, lead_ids: Iterable[str]) -> dict[str, str]:
    """Survivors of the given leads that were merged by earlier batches."""
    rows = await conn.fetch(
        "SELECT merged_lead_id, surviving_lead_id FROM lead_merges"
        " WHERE merged_lead_id = ANY($1::text[])",
        list(lead_ids),
    )
    return {row["merged_lead_id"]: row["surviving_lead_id"] for row in rows}


async def load_absorbed(
    conn: Connection, merged: Sequence[str]
) -> tuple[list[LeadPatch], list[IdentityRow]]:
    """Rows of leads being merged away, to fold into their survivors."""
    if not merged:
        return [], []
    leads = await conn.fetch(
        f"SELECT {', '.join(LEAD_COLUMNS)} FROM leads WHERE lead_id = ANY($1::text[])", merged
    )
    identities = await conn.fetch(
        "SELECT lead_id, identity, first_seen_at FROM lead_identities"
        " WHERE lead_id = ANY($1::text[])",
        merged,
    )
    patches = [
        LeadPatch(**{**dict(row), "contributions": orjson.loads(row["contributions"])})
        for row in leads
    ]
    return patches, [IdentityRow(**dict(row)) for row in identities]


async def apply_merges(conn: Connection, merges: Sequence[MergeRow]) -> None:
    """Record merges, flatten older chains, drop merged rows, re-point the rest to survivors."""
    if not merges:
        return
    merged = [m.merged_lead_id for m in merges]
    survivors = [m.surviving_lead_id for m in merges]
    await conn.execute(MERGE_INSERT, *_arrays(merges, [f.name for f in fields(MergeRow)]))
    pairs = "unnest($1::text[], $2::text[]) AS x(merged, survivor)"
    await conn.execute(
        f"UPDATE lead_merges m SET surviving_lead_id = x.survivor FROM {pairs}"
        " WHERE m.surviving_lead_id = x.merged",
        merged,
        survivors,
    )
    await conn.execute("DELETE FROM leads WHERE lead_id = ANY($1::text[])", merged)
    await conn.execute("DELETE FROM lead_identities WHERE lead_id = ANY($1::text[])", merged)
    for table in (*REPOINTED_TABLES, "stage_intervals"):
        await conn.execute(
            f"UPDATE {table} t SET lead_id = x.survivor FROM {pairs} WHERE t.lead_id = x.merged",
            merged,
            survivors,
        )


async def _write(conn: Connection, sql: str, rows: Sequence[Any], row_type: type) -> int:
    if rows:
        await conn.execute(sql, *_arrays(rows, [f.name for f in fields(row_type)]))
    return len(rows)


async def refresh_intervals(
    conn: Connection, opportunity_ids: Sequence[str], order: StageOrder = DEFAULT_ORDER
) -> int:
    """Re-derive the stays of opportunities whose stage changes this batch touched."""
    if not opportunity_ids:
        return 0
    names = [f.name for f in fields(StageChangeRow)]
    rows = await conn.fetch(
        f"SELECT {', '.join(names)} FROM stage_changes WHERE opportunity_id = ANY($1::text[])",
        opportunity_ids,
    )
    intervals = stage_intervals((StageChangeRow(**dict(row)) for row in rows), order)
    await conn.execute(
        "DELETE FROM stage_intervals WHERE opportunity_id = ANY($1::text[])", opportunity_ids
    )
    return await _write(conn, INTERVAL_INSERT, intervals, StageIntervalRow)


async def apply_changes(
    conn: Connection, changes: RowChanges, order: StageOrder = DEFAULT_ORDER
) -> dict[str, int]:
    """Write every row of the batch; returns rows written per table."""
    await apply_merges(conn, list(changes.merges.values()))
    written = {"lead_merges": len(changes.merges)}
    written["leads"] = await _write(conn, LEAD_UPSERT, list(changes.leads.values()), LeadPatch)
    for table, sql, rows, row_type in (
        ("lead_identities", IDENTITY_UPSERT, changes.identities, IdentityRow),
        ("lead_events", TIMELINE_INSERT, changes.timeline, TimelineRow),
        ("tier_transitions", TRANSITION_INSERT, changes.transitions, TransitionRow),
        ("communications", COMMUNICATION_UPSERT, changes.communications, CommunicationRow),
        ("stage_changes", STAGE_CHANGE_UPSERT, changes.stage_changes, StageChangeRow),
        ("channel_spend", SPEND_UPSERT, changes.spend, SpendRow),
    ):
        written[table] = await _write(conn, sql, list(rows.values()), row_type)
    opportunities = sorted({row.opportunity_id for row in changes.stage_changes.values()})
    written["stage_intervals"] = await refresh_intervals(conn, opportunities, order)
    return written

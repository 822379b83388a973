"""SQL behind the query API: rows from the read models, turned into the metrics' inputs."""

from __future__ import annotations

import base64
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import orjson

from funnel.model.costs import MonthSpend
from funnel.model.maths import LeadTierHistory, Period
from funnel.model.rows import StageIntervalRow, TransitionRow
from schemas.outgoing import Tier

Connection = Any  # an asyncpg connection or pool; asyncpg ships no type information

INTERVAL_COLUMNS = ", ".join(f"i.{f.name}" for f in fields(StageIntervalRow))
TRANSITION_COLUMNS = ", ".join(f"t.{f.name}" for f in fields(TransitionRow))


def plain_schema(name: str) -> str:
    """`name` if it can be spliced into SQL as a schema name (lower case, digits, _), else a
    ValueError: read models are found by schema, and schema names come from settings."""
    if not name.replace("_", "a").isalnum() or not name.islower():
        raise ValueError(f"not a plain lower-case schema name: {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class Segment:
    """Which leads a funnel query covers: first-touch channel and campaign, when given."""

    channel: str | None = None
    campaign: str | None = None


def _segment_sql(segment: Segment, first_param: int) -> tuple[str, list[Any]]:
    clauses, args = [], []
    for column, value in (("first_channel", segment.channel), ("first_campaign", segment.campaign)):
        if value is not None:
            args.append(value)
            clauses.append(f"l.{column} = ${first_param + len(args) - 1}")
    return "".join(f" AND {clause}" for clause in clauses), args


def _period_args(period: Period | None) -> list[datetime | None]:
    return [None, None] if period is None else [period.start, period.end]


async def stage_stays(
    conn: Connection, period: Period | None, segment: Segment
) -> list[tuple[StageIntervalRow, str | None, str | None]]:
    """Stays entered in the period, each with its lead's first-touch channel and campaign."""
    where, args = _segment_sql(segment, 3)
    rows = await conn.fetch(
        f"SELECT {INTERVAL_COLUMNS}, l.first_channel, l.first_campaign"
        " FROM stage_intervals i LEFT JOIN leads l ON l.lead_id = i.lead_id"
        " WHERE ($1::timestamptz IS NULL OR i.entered_at >= $1)"
        " AND ($2::timestamptz IS NULL OR i.entered_at < $2)" + where,
        *_period_args(period),
        *args,
    )
    width = len(fields(StageIntervalRow))  # positional: ~5x cheaper than keywords per row
    return [(StageIntervalRow(*row[:width]), row[width], row[width + 1]) for row in rows]


async def won_opportunity_stays(
    conn: Connection, period: Period | None, segment: Segment
) -> list[StageIntervalRow]:
    """Every stay of the opportunities won in the period (the sales cycle needs their start)."""
    where, args = _segment_sql(segment, 3)
    rows = await conn.fetch(
        f"SELECT {INTERVAL_COLUMNS} FROM stage_intervals i"
        " LEFT JOIN leads l ON l.lead_id = i.lead_id"
        " WHERE i.opportunity_id IN (SELECT w.opportunity_id FROM stage_intervals w"
        "  WHERE w.outcome = 'won' AND ($1::timestamptz IS NULL OR w.exited_at >= $1)"
        "  AND ($2::timestamptz IS NULL OR w.exited_at < $2))" + where,
        *_period_args(period),
        *args,
    )
    return [StageIntervalRow(*row) for row in rows]


async def tier_histories(
    conn: Connection, period: Period | None, segment: Segment
) -> list[LeadTierHistory]:
    """Leads first seen in the period with their first-touch attribution and tier times."""
    where, args = _segment_sql(segment, 3)
    rows = await conn.fetch(
        "SELECT lead_id, first_seen_at, first_channel, first_campaign, mql_at, sql_at,"
        " opportunity_at, won_at FROM leads l WHERE first_seen_at IS NOT NULL"
        " AND ($1::timestamptz IS NULL OR first_seen_at >= $1)"
        " AND ($2::timestamptz IS NULL OR first_seen_at < $2)" + where,
        *_period_args(period),
        *args,
    )
    tiers = (Tier.MQL, Tier.SQL, Tier.OPPORTUNITY)
    histories = []
    for lead_id, seen, channel, campaign, *reached_at, won_at in rows:
        reached = {tier: at for tier, at in zip(tiers, reached_at, strict=True) if at is not None}
        histories.append(LeadTierHistory(lead_id, seen, channel, campaign, reached, won_at))
    return histories


async def channel_spend(conn: Connection, currency: str) -> list[MonthSpend]:
    """Every month's spend posted in `currency`, per channel and campaign."""
    rows = await conn.fetch(
        "SELECT channel, campaign, month, amount FROM channel_spend WHERE currency = $1", currency
    )
    return [MonthSpend(*row) for row in rows]


# --- leads ------------------------------------------------------------------------------------

LEAD_SUMMARY = (
    "lead_id, tier, score, first_channel, first_campaign, owner, first_seen_at,"
    " last_activity_at, last_effective_contact_at"
)


@dataclass(frozen=True, slots=True)
class LeadFilter:
    """Filters of the lead list; `stale_before` set means 'no activity since then, still open'."""

    tier: str | None = None
    channel: str | None = None
    owner: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    stale_before: datetime | None = None
    active_since: datetime | None = None
    # a search: leads holding one of these identity keys, or with this lead id
    identities: tuple[str, ...] | None = None
    lead_id: str | None = None
    company_token: str | None = None  # a company-name prefix's blind-index token (privacy.md)


def encode_cursor(score: float, lead_id: str) -> str:
    """Opaque cursor after a lead in (score desc, lead_id) order."""
    return base64.urlsafe_b64encode(orjson.dumps([score, lead_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """The (score, lead_id) a cursor points after; ValueError when it is not one of ours."""
    try:
        score, lead_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return float(score), str(lead_id)
    except (ValueError, TypeError) as error:
        raise ValueError("malformed cursor") from error


def _lead_where(f: LeadFilter, after: tuple[float, str] | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []

    def add(template: str, *values: Any) -> None:
        args.extend(values)
        numbers = range(len(args) - len(values) + 1, len(args) + 1)
        clauses.append(template.format(*(f"${n}" for n in numbers)))

    for column, value in (("tier", f.tier), ("first_channel", f.channel), ("owner", f.owner)):
        if value is not None:
            add(f"{column} = {{}}", value)
    if f.score_min is not None:
        add("score >= {}", f.score_min)
    if f.score_max is not None:
        add("score <= {}", f.score_max)
    if f.stale_before is not None:
        add("last_activity_at < {} AND won_at IS NULL AND lost_at IS NULL", f.stale_before)
    if f.active_since is not None:
        add("last_activity_at >= {}", f.active_since)
    if f.identities is not None:
        company = (
            " OR lead_id IN (SELECT c.lead_id FROM lead_contacts c"
            " WHERE c.company_index @> ARRAY[{}]::text[])"
            if f.company_token
            else ""
        )
        add(
            "(lead_id IN (SELECT i.lead_id FROM lead_identities i WHERE i.identity = ANY({}))"
            f" OR lead_id = {{}}{company})",
            list(f.identities),
            f.lead_id or "",
            *([f.company_token] if f.company_token else []),
        )
    if after is not None:
        add("(score < {} OR (score = {} AND lead_id > {}))", after[0], after[0], after[1])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


async def list_leads(
    conn: Connection, lead_filter: LeadFilter, after: tuple[float, str] | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of leads, highest score first, and the cursor of the next page (None: last)."""
    where, args = _lead_where(lead_filter, after)
    rows = await conn.fetch(
        f"SELECT {LEAD_SUMMARY} FROM leads{where}"
        f" ORDER BY score DESC, lead_id LIMIT ${len(args) + 1}",
        *args,
        limit + 1,
    )
    page = [dict(row) for row in rows[:limit]]
    more = len(rows) > limit
    return page, encode_cursor(page[-1]["score"], page[-1]["lead_id"]) if more else None


async def lead_owners(conn: Connection, schema: str, lead_ids: list[str]) -> dict[str, str]:
    """The owner of each of these leads that has one (schema: the funnel schema to read)."""
    rows = await conn.fetch(
        f"SELECT lead_id, owner FROM {plain_schema(schema)}.leads"
        " WHERE lead_id = ANY($1::text[]) AND owner IS NOT NULL",
        lead_ids,
    )
    return {row[0]: row[1] for row in rows}


async def resolve_lead(conn: Connection, lead_id: str) -> str | None:
    """The lead id to show for `lead_id`: itself, or the survivor it was merged into."""
    found = await conn.fetchval(
        "SELECT lead_id FROM leads WHERE lead_id = $1"
        " UNION ALL SELECT surviving_lead_id FROM lead_merges WHERE merged_lead_id = $1 LIMIT 1",
        lead_id,
    )
    return str(found) if found is not None else None


async def lead_row(conn: Connection, lead_id: str) -> dict[str, Any] | None:
    """The lead's row, contributions decoded."""
    row = await conn.fetchrow("SELECT * FROM leads WHERE lead_id = $1", lead_id)
    if row is None:
        return None
    lead = dict(row)
    lead["contributions"] = orjson.loads(lead["contributions"])
    return lead


async def _rows(conn: Connection, sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in await conn.fetch(sql, *args)]


async def lead_history(conn: Connection, lead_id: str, timeline_limit: int) -> dict[str, Any]:
    """Identities, merged ids, tier and stage history, communications and recent events."""
    return {
        "identities": await _rows(
            conn,
            "SELECT identity, first_seen_at FROM lead_identities WHERE lead_id = $1"
            " ORDER BY first_seen_at, identity",
            lead_id,
        ),
        "merged_lead_ids": [
            row["merged_lead_id"]
            for row in await _rows(
                conn,
                "SELECT merged_lead_id FROM lead_merges WHERE surviving_lead_id = $1 ORDER BY 1",
                lead_id,
            )
        ],
        "tier_history": [
            TransitionRow(*row)
            for row in await conn.fetch(
                f"SELECT {TRANSITION_COLUMNS} FROM tier_transitions t WHERE t.lead_id = $1"
                " ORDER BY t.occurred_at, t.transition_id",
                lead_id,
            )
        ],
        "stage_history": [
            StageIntervalRow(*row)
            for row in await conn.fetch(
                f"SELECT {INTERVAL_COLUMNS} FROM stage_intervals i WHERE i.lead_id = $1"
                " ORDER BY i.entered_at, i.opportunity_id, i.seq",
                lead_id,
            )
        ],
        "communications": await _rows(
            conn,
            "SELECT communication_id, kind, owner, opportunity_id, is_effective, occurred_at"
            " FROM communications WHERE lead_id = $1 ORDER BY occurred_at DESC LIMIT 20",
            lead_id,
        ),
        "timeline": [
            {**row, "properties": orjson.loads(row["properties"])}
            for row in await _rows(
                conn,
                "SELECT event_id, type, channel, campaign, occurred_at, properties"
                " FROM lead_events WHERE lead_id = $1"
                " ORDER BY occurred_at DESC, event_id DESC LIMIT $2",
                lead_id,
                timeline_limit,
            )
        ],
    }


def breakdown(contributions: dict[str, float]) -> list[dict[str, Any]]:
    """Per-rule points, largest first: what the score is made of."""
    ordered = sorted(contributions.items(), key=lambda item: (-item[1], item[0]))
    return [{"rule": rule, "points": points} for rule, points in ordered]


async def gate_violations(
    conn: Any, period: Period | None, owner: str | None, limit: int
) -> list[dict[str, Any]]:
    """Stage moves in the period (event time) that lacked what their stage's gate requires,
    newest first; `owner` keeps one rep's."""
    start, end = (period.start, period.end) if period else (None, None)
    rows = await conn.fetch(
        "SELECT event_id, opportunity_id, lead_id, owner, stage, previous_stage, gate_missing,"
        " gates_version, occurred_at FROM stage_changes WHERE cardinality(gate_missing) > 0"
        " AND ($1::timestamptz IS NULL OR occurred_at >= $1)"
        " AND ($2::timestamptz IS NULL OR occurred_at < $2)"
        " AND ($3::text IS NULL OR owner = $3)"
        " ORDER BY occurred_at DESC, event_id LIMIT $4",
        start,
        end,
        owner,
        limit,
    )
    return [{**dict(row), "missing": list(row["gate_missing"])} for row in rows]

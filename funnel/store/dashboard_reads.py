"""SQL behind the dashboard's own reads: recent promotions, filter options, a lead's timeline."""

from __future__ import annotations

from typing import Any

import orjson

from funnel.store.queries import TRANSITION_COLUMNS

Connection = Any  # an asyncpg connection or pool


async def recent_transitions(
    conn: Connection, kind: str | None, limit: int, owner: str | None = None
) -> list[dict[str, Any]]:
    """The latest tier changes in event time, newest first, with their lead's attribution;
    only those of `owner`'s leads when one is given (a rep's feed)."""
    rows = await conn.fetch(
        f"SELECT {TRANSITION_COLUMNS}, l.first_channel, l.first_campaign, l.owner,"
        " l.tier AS current_tier"
        " FROM tier_transitions t LEFT JOIN leads l ON l.lead_id = t.lead_id"
        " WHERE ($1::text IS NULL OR t.kind = $1) AND ($3::text IS NULL OR l.owner = $3)"
        " ORDER BY t.occurred_at DESC, t.transition_id DESC LIMIT $2",
        kind,
        limit,
        owner,
    )
    return [dict(row) for row in rows]


# One probe of leads_segments (migration 0017) per distinct pair: a skip scan, not a GROUP BY.
_PAIRS = (
    "WITH RECURSIVE seg(ch, ca) AS ("
    " (SELECT coalesce(first_channel, ''), coalesce(first_campaign, '') FROM leads"
    "  WHERE first_seen_at IS NOT NULL ORDER BY 1, 2 LIMIT 1)"
    " UNION ALL SELECT n.ch, n.ca FROM seg CROSS JOIN LATERAL ("
    "  SELECT coalesce(first_channel, '') AS ch, coalesce(first_campaign, '') AS ca FROM leads"
    "  WHERE first_seen_at IS NOT NULL"
    "  AND (coalesce(first_channel, ''), coalesce(first_campaign, '')) > (seg.ch, seg.ca)"
    "  ORDER BY 1, 2 LIMIT 1) n)"
    " SELECT nullif(ch, '') AS first_channel, nullif(ca, '') AS first_campaign, NULL::int8 AS leads"
    " FROM seg"
)
_COUNTED = (
    "SELECT first_channel, first_campaign, count(*) AS leads FROM leads"
    " WHERE first_seen_at IS NOT NULL GROUP BY 1, 2"
    " ORDER BY coalesce(first_channel, ''), coalesce(first_campaign, '')"  # as the skip scan
)


async def filter_options(conn: Connection, counts: bool = False) -> dict[str, Any]:
    """Channels and campaigns leads first came through (with how many leads each when `counts`:
    a pass over every lead), and the months they span."""
    rows = await conn.fetch(_COUNTED if counts else _PAIRS)
    span = await conn.fetchrow("SELECT min(first_seen_at), max(first_seen_at) FROM leads")
    return {"segments": [dict(row) for row in rows], "first": span[0], "last": span[1]}


async def timeline_rows(conn: Connection, lead_id: str, limit: int) -> list[dict[str, Any]]:
    """The lead's newest `limit` events, properties decoded."""
    rows = await conn.fetch(
        "SELECT event_id, type, channel, campaign, occurred_at, properties FROM lead_events"
        " WHERE lead_id = $1 ORDER BY occurred_at DESC, event_id DESC LIMIT $2",
        lead_id,
        limit,
    )
    return [{**dict(row), "properties": orjson.loads(row["properties"])} for row in rows]

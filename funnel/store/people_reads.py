"""SQL behind erasure and contact details: a person's leads, their identities, sealed contacts.

Unqualified table names resolve in the live funnel schema (the query app's search path).
"""

from __future__ import annotations

from typing import Any

Connection = Any  # an asyncpg connection or pool; asyncpg ships no type information


async def _survivors(conn: Connection, lead_ids: list[str]) -> list[str]:
    rows = await conn.fetch(
        "SELECT lead_id FROM leads WHERE lead_id = ANY($1::text[])"
        " UNION SELECT surviving_lead_id FROM lead_merges WHERE merged_lead_id = ANY($1::text[])",
        lead_ids,
    )
    return [row[0] for row in rows]


async def person_leads(conn: Connection, lead_ids: list[str]) -> list[str]:
    """The leads of one person: the survivors of the given ids and every lead merged into them."""
    survivors = await _survivors(conn, lead_ids)
    if not survivors:
        return []
    merged = await conn.fetch(
        "SELECT merged_lead_id FROM lead_merges WHERE surviving_lead_id = ANY($1::text[])",
        survivors,
    )
    return sorted({*survivors, *(row[0] for row in merged)})


async def leads_with_identity(conn: Connection, key: str) -> list[str]:
    """The leads of the person carrying an identity key (as the read models know it)."""
    rows = await conn.fetch("SELECT lead_id FROM lead_identities WHERE identity = $1", key)
    return await person_leads(conn, [row[0] for row in rows]) if rows else []


async def identities_of(conn: Connection, lead_ids: list[str]) -> set[str]:
    """Every identity key seen on these leads' events."""
    rows = await conn.fetch(
        "SELECT identity FROM lead_identities WHERE lead_id = ANY($1::text[])", lead_ids
    )
    return {row[0] for row in rows}


async def contact_key_ids(conn: Connection, lead_ids: list[str]) -> list[str]:
    """The data keys that seal these leads' contact rows."""
    rows = await conn.fetch(
        "SELECT key_id FROM lead_contacts WHERE lead_id = ANY($1::text[])", lead_ids
    )
    return [row[0] for row in rows]


async def sealed_contacts(conn: Connection, lead_id: str, limit: int) -> list[Any]:
    """The lead's newest `limit` sealed contact rows (key_id, ciphertext), newest first."""
    return list(
        await conn.fetch(
            "SELECT key_id, ciphertext FROM lead_contacts WHERE lead_id = $1"
            " ORDER BY occurred_at DESC, event_id DESC LIMIT $2",
            lead_id,
            limit,
        )
    )

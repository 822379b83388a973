"""Erasure by crypto-shredding: find a person's leads, delete their data keys, audit, announce.

The `PersonErased` event goes out (acks=all) before the transaction that deleted the keys and
wrote the audit row commits: a failed publish leaves everything as it was (the caller retries);
a commit that fails after the publish leaves consumers having forgotten a person whose keys
still exist, which a retry finishes. Never the other way round.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from schemas.outgoing import PersonErased
from services.pii import PiiHasher
from services.vault.keys import delete_keys, subject_of

Connection = Any  # asyncpg ships no type information
MatchedBy = Literal["lead_id", "email", "phone", "crm_id"]
Announce = Callable[[PersonErased], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Erasure:
    """What one erasure did: which leads, how many keys; never a contact detail."""

    erasure_id: str
    lead_ids: list[str]
    keys_deleted: int
    erased_at: datetime


def identity_key(matched_by: MatchedBy, value: str, hasher: PiiHasher) -> str | None:
    """The identity key (`kind:value`) of an email / phone / CRM id; None when it is not one."""
    match matched_by:
        case "email":
            digest = hasher.email_hash(value)
            return f"email:{digest}" if digest else None
        case "phone":
            digest = hasher.phone_hash(value)
            return f"phone:{digest}" if digest else None
        case "crm_id":
            return f"crm:{value.strip()}" if value.strip() else None
    return None


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
    """Leads that carry an identity key (as the read models know it)."""
    rows = await conn.fetch("SELECT lead_id FROM lead_identities WHERE identity = $1", key)
    return await person_leads(conn, [row[0] for row in rows]) if rows else []


async def erase(
    conn: Connection,
    *,
    lead_ids: list[str],
    extra_identities: list[str],
    secret: str,
    requested_by: str,
    matched_by: MatchedBy,
    announce: Announce,
    alerts_schema: str = "alerts",
) -> Erasure | None:
    """Shred the keys of these leads (and of `extra_identities`); None when nothing matched."""
    async with conn.transaction():
        rows = await conn.fetch(
            "SELECT identity FROM lead_identities WHERE lead_id = ANY($1::text[])", lead_ids
        )
        identities = {row[0] for row in rows} | set(extra_identities)
        key_rows = await conn.fetch(
            "SELECT key_id FROM lead_contacts WHERE lead_id = ANY($1::text[])", lead_ids
        )
        deleted = await delete_keys(
            conn, [row[0] for row in key_rows], [subject_of(secret, key) for key in identities]
        )
        if not lead_ids and not deleted:
            return None
        erasure = Erasure("era_" + uuid.uuid4().hex, lead_ids, deleted, datetime.now(UTC))
        await conn.execute(
            "INSERT INTO public.erasures"
            " (erasure_id, requested_by, requested_at, matched_by, lead_ids, keys_deleted)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            erasure.erasure_id,
            requested_by,
            erasure.erased_at,
            matched_by,
            lead_ids,
            deleted,
        )
        await conn.execute(
            "INSERT INTO public.erased_leads (lead_id, erasure_id, erased_at)"
            " SELECT unnest($1::text[]), $2, $3 ON CONFLICT (lead_id) DO NOTHING",
            lead_ids,
            erasure.erasure_id,
            erasure.erased_at,
        )
        # the stale-lead detector's state of the leads (it skips erased leads from now on)
        await conn.execute(
            f"DELETE FROM {alerts_schema}.lead_activity WHERE lead_id = ANY($1::text[])", lead_ids
        )
        if lead_ids:
            await announce(
                PersonErased(
                    erasure_id=erasure.erasure_id, lead_ids=lead_ids, occurred_at=erasure.erased_at
                )
            )
    return erasure

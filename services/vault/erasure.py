"""Erasure by crypto-shredding: delete a person's data keys, audit, announce (the person's
leads, identities and sealed contacts are read by funnel.store.people_reads).

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

from funnel.store import people_reads as people
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
        identities = await people.identities_of(conn, lead_ids) | set(extra_identities)
        deleted = await delete_keys(
            conn,
            await people.contact_key_ids(conn, lead_ids),
            [subject_of(secret, key) for key in identities],
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
        # the stale-lead detector's state of the leads (it skips erased leads from now on), and
        # their deals' stored risk scores (the next risk check no longer finds the deals)
        for table in ("lead_activity", "risk_scores"):
            await conn.execute(
                f"DELETE FROM {alerts_schema}.{table} WHERE lead_id = ANY($1::text[])", lead_ids
            )
        if lead_ids:
            await announce(
                PersonErased(
                    erasure_id=erasure.erasure_id, lead_ids=lead_ids, occurred_at=erasure.erased_at
                )
            )
    return erasure

"""The projector's privacy writes: sealed contact rows, the erased-lead check, forgetting a lead."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson

from funnel.model.privacy import ContactRow
from funnel.projector.store import Connection

# Every read model holding a lead's rows; merges name it on either side.
ERASED_TABLES = (
    "leads",
    "lead_identities",
    "lead_events",
    "tier_transitions",
    "communications",
    "stage_changes",
    "stage_intervals",
    "lead_contacts",
    "rep_activity",  # points earned on the person (performance/): a rebuild leaves them out too
)
CONTACT_INSERT = (
    "INSERT INTO lead_contacts"
    " (event_id, lead_id, key_id, ciphertext, company_index, occurred_at)"
    " SELECT x.e, x.l, x.k, x.c, ARRAY(SELECT jsonb_array_elements_text(x.i::jsonb)), x.o"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])"
    " AS x(e, l, k, c, i, o) ON CONFLICT (event_id) DO NOTHING"
)


async def erased_among(conn: Connection, lead_ids: Iterable[str]) -> set[str]:
    """The leads among these that an erasure named (the audit's list, which rebuilds honour)."""
    ids = sorted(set(lead_ids))
    if not ids:
        return set()
    rows = await conn.fetch(
        "SELECT lead_id FROM public.erased_leads WHERE lead_id = ANY($1::text[])", ids
    )
    return {row["lead_id"] for row in rows}


async def write_contacts(conn: Connection, rows: Sequence[ContactRow]) -> int:
    """Store each event's sealed contact under its lead; a replayed event is written once."""
    if rows:
        await conn.execute(
            CONTACT_INSERT,
            [r.event_id for r in rows],
            [r.lead_id for r in rows],
            [r.key_id for r in rows],
            [r.ciphertext for r in rows],
            [orjson.dumps(r.company_index).decode() for r in rows],
            [r.occurred_at for r in rows],
        )
    return len(rows)


async def forget(conn: Connection, lead_ids: Iterable[str]) -> int:
    """Delete every row of these leads from the read models; the rows deleted."""
    ids = sorted(set(lead_ids))
    if not ids:
        return 0
    deleted = 0
    for table in ERASED_TABLES:
        status = await conn.execute(f"DELETE FROM {table} WHERE lead_id = ANY($1::text[])", ids)
        deleted += int(status.split()[-1])
    status = await conn.execute(
        "DELETE FROM lead_merges"
        " WHERE merged_lead_id = ANY($1::text[]) OR surviving_lead_id = ANY($1::text[])",
        ids,
    )
    return deleted + int(status.split()[-1])

"""Contact details on read: opened from the sealed rows for roles allowed to see them, only.

Managers and admins see every lead's contact details, reps those of the leads they own (the
lead itself is already scoped), analysts none: their answers carry no contact field at all.
A row whose data key was erased simply does not open: the reader gets no contact for it.
"""

from __future__ import annotations

import logging
from typing import Any

from funnel.store.people_reads import sealed_contacts
from services.access import Principal, Role
from services.vault.contact import Contact, scrub_contact
from services.vault.crypto import SealError, unseal
from services.vault.keys import KeyStore

log = logging.getLogger("query.contacts")
CONTACT_ROLES = frozenset({Role.MANAGER, Role.REP, Role.ADMIN})
ROWS_PER_LEAD = 50  # the newest sealed contacts of a lead that are merged into its details


def without_contact_traits(properties: dict[str, Any]) -> dict[str, Any]:
    """Timeline properties without contact keys in their traits (left by pre-vault events)."""
    traits = properties.get("traits")
    if isinstance(traits, dict):
        return {**properties, "traits": scrub_contact(traits)}
    return properties


def may_read_contact(principal: Principal) -> bool:
    """Whether this reader's role may see contact details."""
    return principal.role in CONTACT_ROLES


def merged_contact(rows: list[Any], keys: dict[str, bytes]) -> Contact | None:
    """The newest value of each field over rows newest first; rows whose key is gone are skipped."""
    merged: Contact | None = None
    for row in rows:
        key = keys.get(row["key_id"])
        if key is None:
            continue
        try:
            opened = Contact.from_bytes(unseal(key, row["key_id"], row["ciphertext"]))
        except (SealError, ValueError):
            log.warning("a sealed contact does not open", extra={"key_id": row["key_id"]})
            continue
        merged = opened if merged is None else merged.over(opened)
    return merged


async def lead_contact(conn: Any, store: KeyStore, lead_id: str) -> Contact | None:
    """The lead's contact details in clear, or None when it has none (or they were erased)."""
    rows = await sealed_contacts(conn, lead_id, ROWS_PER_LEAD)
    if not rows:
        return None
    return merged_contact(rows, await store.by_ids(conn, [row["key_id"] for row in rows]))

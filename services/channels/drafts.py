"""From what a platform sent to our envelope: hashed identities, checked time, validated model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.events import Channel, Event
from services.ingest.envelope import Stamp, build_event, check_time, hash_identities, hold_contact
from services.ingest.rejections import Rejection, pointer
from services.pii import PiiHasher


@dataclass(frozen=True)
class Draft:
    """An event as an adapter read it; identities may still hold a raw `email` / `phone`."""

    type: str
    event_id: str
    occurred_at: datetime
    identities: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)
    campaign: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    contact: dict[str, Any] = field(default_factory=dict)  # name, company, …: sealed, not sent


def usable_pii(identities: dict[str, Any], hasher: PiiHasher) -> tuple[dict[str, Any], list[str]]:
    """Identities without an email / phone that cannot be one, and the kinds dropped.

    A platform's lead is kept even when its phone field holds junk: losing the lead is worse.
    """
    checks = {"email": hasher.email_hash, "phone": hasher.phone_hash}
    kept = dict(identities)
    dropped = []
    for kind, check in checks.items():
        value = kept.get(kind)
        if value is not None and not (isinstance(value, str) and check(value)):
            del kept[kind]
            dropped.append(kind)
    return kept, dropped


def finish(draft: Draft, channel: Channel, stamp: Stamp) -> Event | Rejection:
    """Validate a draft into a published event (pointers name our envelope's fields)."""
    raw, dropped = usable_pii(draft.identities, stamp.hasher)
    identities = hash_identities(
        raw, stamp.hasher, lambda key: pointer("identities", key) if key else "/identities"
    )
    if isinstance(identities, Rejection):
        return identities
    late = check_time(draft.occurred_at, stamp.received_at, "/occurred_at")
    if late:
        return late
    context = {**draft.context, "invalid_pii": dropped} if dropped else draft.context
    event = build_event(
        {
            "event_id": draft.event_id,
            "type": draft.type,
            "channel": channel,
            "occurred_at": draft.occurred_at,
            "received_at": stamp.received_at,
            "source": stamp.source,
            "identities": identities,
            "campaign": draft.campaign,
            "context": context,
            "properties": draft.properties,
        }
    )
    return hold_contact(stamp, event, raw, draft.contact)

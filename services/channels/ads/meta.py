"""Meta lead ads: the webhook's GET verification, X-Hub-Signature-256, leadgen changes → events."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.channels.dedupe import derived_event_id
from services.channels.drafts import Draft
from services.channels.reasons import bad_signature, missing, same_secret
from services.ingest.rejections import Rejection, from_validation_error, pointer

PLATFORM = "meta"


class LeadgenValue(BaseModel):
    """One new lead: only ids; the lead's answers are fetched later (an optional enrichment)."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
    leadgen_id: str = Field(min_length=1, max_length=200)
    created_time: int | None = Field(default=None, ge=0, lt=10**11)
    page_id: str | None = None
    form_id: str | None = None
    ad_id: str | None = None
    adgroup_id: str | None = None


class Change(BaseModel):
    """One change of an entry; only `leadgen` changes become events."""

    model_config = ConfigDict(extra="ignore")
    field: str
    value: dict[str, Any] = {}


class Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")
    changes: list[Change] = []


class Notification(BaseModel):
    model_config = ConfigDict(extra="ignore")
    object: str
    entry: list[Entry]


def verify_subscription(query: Mapping[str, str], token: str) -> str | Rejection:
    """`hub.challenge` when `hub.mode` is subscribe and the verify token matches."""
    for name in ("hub.mode", "hub.verify_token", "hub.challenge"):
        if not query.get(name):
            return missing(name)
    if query["hub.mode"] != "subscribe" or not token:
        return bad_signature("hub.mode must be subscribe, with a verify token configured")
    if not same_secret(query["hub.verify_token"], token):
        return bad_signature("hub.verify_token does not match")
    return query["hub.challenge"]


def check_signature(body: bytes, header: str | None, app_secret: str) -> Rejection | None:
    """A 403 unless X-Hub-Signature-256 is `sha256=` HMAC-SHA256(app secret, raw body)."""
    if not app_secret:
        return bad_signature("no Meta app secret is configured")
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    if not header or not same_secret(header.strip().lower(), expected):
        return bad_signature("X-Hub-Signature-256 does not match the app secret")
    return None


def _draft(lead: LeadgenValue, received_at: datetime) -> Draft:
    created = lead.created_time
    context = {"form_id": lead.form_id, "page_id": lead.page_id, "adgroup_id": lead.adgroup_id}
    return Draft(
        type="ad_lead_submitted",
        event_id=derived_event_id(PLATFORM, lead.leadgen_id),
        occurred_at=datetime.fromtimestamp(created, UTC) if created else received_at,
        identities={"ad_lead_id": f"{PLATFORM}:{lead.leadgen_id}"},
        properties={"platform": PLATFORM, "lead_id": lead.leadgen_id, "ad_id": lead.ad_id},
        context={key: value for key, value in context.items() if value},
    )


def meta_drafts(data: Any, received_at: datetime) -> list[Draft] | Rejection:
    """Every leadgen change of a notification; one malformed change refuses the whole request."""
    try:
        notification = Notification.model_validate(data)
    except ValidationError as error:
        return from_validation_error(error)
    drafts = []
    for e, entry in enumerate(notification.entry):
        for c, change in enumerate(entry.changes):
            if change.field != "leadgen":
                continue
            try:
                lead = LeadgenValue.model_validate(change.value)
            except ValidationError as error:
                return from_validation_error(error).under(
                    pointer("entry", e, "changes", c, "value")
                )
            drafts.append(_draft(lead, received_at))
    return drafts

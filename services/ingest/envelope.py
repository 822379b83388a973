"""Assembling the published envelope: skew-corrected time, hashed identities, PII-free free text."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from schemas.events import Event, event_model
from services.ingest.rejections import (
    INVALID_TIMESTAMP,
    INVALID_VALUE,
    MISSING_IDENTITY,
    Rejection,
    from_validation_error,
)
from services.pii import PiiHasher, normalize_phone
from services.vault.contact import Contact, build_contact

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_CLOCK_AHEAD = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Stamp:
    """What the server knows about every event of one request."""

    received_at: datetime
    source: str
    hasher: PiiHasher
    # event id → its contact details in clear, until the vault seals them (never published)
    contacts: dict[str, Contact] = field(default_factory=dict)


def new_event_id() -> str:
    """Server-side event id for clients that sent none."""
    return uuid.uuid4().hex


def corrected_time(
    timestamp: datetime | None, sent_at: datetime | None, received_at: datetime
) -> datetime:
    """Segment's skew correction: the client clock's offset at `sentAt` is removed."""
    if timestamp is None:
        return received_at
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    if sent_at is None:
        return timestamp
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    try:
        return received_at - (sent_at - timestamp)
    except OverflowError:  # absurd clocks: out of range, and check_time says so
        return datetime.min.replace(tzinfo=UTC)


def check_time(occurred_at: datetime, received_at: datetime, where: str) -> Rejection | None:
    """A rejection when an event claims to be from before 2000 or from the future."""
    if occurred_at < EARLIEST or occurred_at > received_at + MAX_CLOCK_AHEAD:
        message = f"{where}: time {occurred_at.isoformat()} is before 2000 or in the future"
        return Rejection(INVALID_TIMESTAMP, where, message)
    return None


def hash_identities(
    raw: Mapping[str, Any], hasher: PiiHasher, where: Callable[[str], str]
) -> dict[str, Any] | Rejection:
    """Identities with raw `email` / `phone` replaced by keyed hashes; at least one required."""
    identities = {key: value for key, value in raw.items() if value is not None}
    for kind, digest in (("email", hasher.email_hash), ("phone", hasher.phone_hash)):
        value = identities.pop(kind, None)
        if value is None:
            continue
        hashed = digest(value) if isinstance(value, str) else None
        if hashed is None:
            return Rejection(INVALID_VALUE, where(kind), f"{where(kind)}: not a valid {kind}")
        identities[f"{kind}_hash"] = hashed
    if not identities:
        message = f"{where('') or '/'}: an event needs at least one identity (user id, email, …)"
        return Rejection(MISSING_IDENTITY, where(""), message)
    return identities


def adopt_pii(identities: dict[str, Any], found: Mapping[str, str], hasher: PiiHasher) -> None:
    """Fill a missing email / phone from free-form traits, when the value is a valid one."""
    checks = {"email": hasher.email_hash, "phone": hasher.phone_hash}
    for kind, value in found.items():
        if identities.get(kind) is None and checks[kind](value):
            identities[kind] = value


def hold_contact(
    stamp: Stamp,
    result: Event | Rejection,
    pii: Mapping[str, Any],
    *details: Mapping[str, Any],
) -> Event | Rejection:
    """Keep an accepted event's contact details (raw email / phone, name, …) for the vault."""
    if isinstance(result, Rejection):
        return result
    phone = pii.get("phone")
    region = stamp.hasher.default_region
    normalized = normalize_phone(phone, region) if isinstance(phone, str) else None
    contact = build_contact(pii, *details, phone=normalized)
    if contact is not None:
        stamp.contacts[result.event_id] = contact
    return result


# pydantic's `model_fields` goes through a deprecation shim on every access (≈ 1 µs, 4–5 % of a
# native event's conversion): what the per-event paths need of it is looked up once per model.
@functools.cache
def properties_type(model: type[BaseModel]) -> Any:
    """A model's `properties` annotation."""
    return model.model_fields["properties"].annotation


@functools.cache
def field_names(model: type[BaseModel]) -> frozenset[str]:
    """A model's field names."""
    return frozenset(model.model_fields)


def build_event(
    fields: dict[str, Any],
    rename: Callable[[Sequence[str | int]], Sequence[str | int]] = lambda loc: loc,
) -> Event | Rejection:
    """Validate the final envelope; errors name the field the way the client spelled it."""
    try:
        model = event_model(fields["type"], fields.get("schema_version"))
        properties, wanted = fields.get("properties"), properties_type(model)
        if isinstance(properties, BaseModel) and not isinstance(properties, wanted):  # type: ignore[arg-type]
            # Validated as version 1's properties: checked again as the version's, as sent.
            fields = {**fields, "properties": properties.model_dump(exclude_unset=True)}
        return model.model_validate(fields)  # type: ignore[return-value]
    except ValidationError as error:
        return from_validation_error(error, rename)


def fields_of(
    model: type[BaseModel], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a mapping into the model's own fields and the rest."""
    names = field_names(model)
    own = {key: value for key, value in data.items() if key in names}
    rest = {key: value for key, value in data.items() if key not in names}
    return own, rest

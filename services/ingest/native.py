"""The native API's input: our envelope as clients send it (raw email/phone, no server fields)."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import AwareDatetime, Field, TypeAdapter, ValidationError, create_model

from schemas.events import (
    EVENT_MODELS,
    EVENT_TYPES,
    UNNAMED_VERSION,
    Channel,
    Contract,
    Custom,
    Event,
    Identify,
    Identities,
    SchemaVersion,
)
from services.ingest.envelope import (
    Stamp,
    adopt_pii,
    build_event,
    check_time,
    corrected_time,
    hash_identities,
    hold_contact,
    new_event_id,
)
from services.ingest.rejections import Rejection, from_validation_error, pointer
from services.pii import pii_in, scrub
from services.vault.contact import ContactDetails, contact_in, scrub_contact


class IdentitiesInBase(Contract):
    """Raw email and phone: normalised and HMAC-hashed by the service, never stored raw."""

    email: str | None = Field(default=None, min_length=1, max_length=320, examples=["a@b.cn"])
    phone: str | None = Field(default=None, min_length=1, max_length=64, examples=["13800138000"])


IdentitiesIn = create_model(  # type: ignore[call-overload]
    "IdentitiesIn",
    __base__=IdentitiesInBase,
    **{
        name: (info.annotation, info)
        for name, info in Identities.model_fields.items()
        if not name.endswith("_hash")
    },
)


class EnvelopeIn(Contract):
    """Fields every native event carries; the server adds received_at, source and hashes."""

    event_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="client id; retries reuse it"
    )
    channel: Channel
    occurred_at: AwareDatetime | None = Field(default=None, description="default: now")
    sent_at: AwareDatetime | None = Field(default=None, description="client clock at send time")
    schema_version: SchemaVersion = Field(
        default=UNNAMED_VERSION, description="the contract version; none sent means 1"
    )
    identities: IdentitiesIn  # type: ignore[valid-type]
    campaign: str | None = Field(default=None, max_length=200)
    context: dict[str, Any] = Field(default_factory=dict)
    contact: ContactDetails | None = Field(
        default=None, description="name, company, job title, city: sealed by the PII vault"
    )


def _input_model(model: type[Contract]) -> type[Contract]:
    kind, properties = model.model_fields["type"], model.model_fields["properties"]
    fields: dict[str, Any] = {
        "type": (kind.annotation, kind.default),
        "properties": (properties.annotation, properties),
    }
    return create_model(model.__name__.removesuffix("Event") + "In", __base__=EnvelopeIn, **fields)


NATIVE_MODELS = tuple(_input_model(EVENT_MODELS[name]) for name in EVENT_TYPES)
NativeEvent = Annotated[Union[NATIVE_MODELS], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
NATIVE_ADAPTER: TypeAdapter[Any] = TypeAdapter(NativeEvent)
_TAGS = frozenset(EVENT_TYPES)
_FREE_FORM = (Identify, Custom)


def _identity_pointer(key: str) -> str:
    return pointer("identities", key) if key else "/identities"


def native_event(data: Any, stamp: Stamp) -> Event | Rejection:
    """One native envelope → our published event, or why not (pointers relative to the event)."""
    try:
        given = NATIVE_ADAPTER.validate_python(data)
    except ValidationError as error:
        return from_validation_error(error, tags=_TAGS)
    raw_identities = given.identities.model_dump()
    details = [given.contact.model_dump()] if given.contact else []
    if isinstance(given.properties, _FREE_FORM):  # typed properties have no email / phone keys
        free = given.properties.model_dump()
        adopt_pii(raw_identities, pii_in(free.get("traits", free)), stamp.hasher)
        details.append(contact_in(free.get("traits", {})))
    identities = hash_identities(raw_identities, stamp.hasher, _identity_pointer)
    if isinstance(identities, Rejection):
        return identities
    occurred_at = corrected_time(given.occurred_at, given.sent_at, stamp.received_at)
    late = check_time(occurred_at, stamp.received_at, "/occurred_at")
    if late:
        return late
    properties = given.properties
    if isinstance(properties, Identify):
        properties = Identify(traits=scrub_contact(scrub(properties.traits)))
    elif given.type == "custom":
        properties = type(properties).model_validate(scrub(properties.model_dump()))
    event = build_event(
        {
            "event_id": given.event_id or new_event_id(),
            "type": given.type,
            "schema_version": given.schema_version,
            "channel": given.channel,
            "occurred_at": occurred_at,
            "received_at": stamp.received_at,
            "source": stamp.source,
            "identities": identities,
            "campaign": given.campaign,
            "context": scrub(given.context),
            "properties": properties,
        }
    )
    return hold_contact(stamp, event, raw_identities, *details)

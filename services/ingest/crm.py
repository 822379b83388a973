"""CRM input: sales-stage changes and logged communications, checked against the stage list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import AwareDatetime, Field, ValidationError

from schemas.events import (
    UNNAMED_VERSION,
    CommunicationLogged,
    CommunicationLoggedV2,
    Contract,
    Event,
    Evidence,
    SalesStageChanged,
    SalesStageChangedV2,
    SchemaVersion,
)
from services.ingest.envelope import (
    Stamp,
    build_event,
    check_time,
    corrected_time,
    field_names,
    hash_identities,
    hold_contact,
    new_event_id,
)
from services.ingest.native import IdentitiesIn
from services.ingest.rejections import UNKNOWN_STAGE, Rejection, from_validation_error, pointer
from services.pii import scrub
from services.vault.contact import ContactDetails


class CrmFields(Contract):
    """What every CRM record carries besides its own facts."""

    event_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="CRM record id; retries reuse it"
    )
    occurred_at: AwareDatetime | None = Field(default=None, description="default: now")
    schema_version: SchemaVersion = Field(
        default=UNNAMED_VERSION, description="the contract version; none sent means 1"
    )
    crm_lead_id: str | None = Field(default=None, min_length=1, max_length=200)
    identities: IdentitiesIn | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    contact: ContactDetails | None = Field(
        default=None, description="name, company, job title, city: sealed by the PII vault"
    )


class StageChangeIn(CrmFields, SalesStageChanged):
    """An opportunity moved to another stage of the sales process."""

    # version 2 (a version-1 record that sets them is refused, naming the field)
    evidence: list[Evidence] | None = Field(default=None, max_length=20)
    approved_by: str | None = Field(default=None, min_length=1, max_length=200)


class CommunicationIn(CrmFields, CommunicationLogged):
    """A sales conversation; only effective ones (need, next step, referral) count later."""

    next_step_due: date | None = Field(default=None, description="version 2")


def _unknown_stage(stage: str | None, field: str, stages: Sequence[str]) -> Rejection | None:
    if stage is None or stage in stages:
        return None
    message = f"/{field}: unknown stage {stage[:50]!r}; expected one of {', '.join(stages)}"
    return Rejection(UNKNOWN_STAGE, f"/{field}", message)


def crm_event(
    data: Any, kind: type[StageChangeIn | CommunicationIn], stamp: Stamp, stages: Sequence[str]
) -> Event | Rejection:
    """One CRM record → our event on the `crm` channel, or why not."""
    try:
        given = kind.model_validate(data)
    except ValidationError as error:
        return from_validation_error(error)
    if isinstance(given, StageChangeIn):
        for field in ("stage", "previous_stage"):
            unknown = _unknown_stage(getattr(given, field), field, stages)
            if unknown:
                return unknown
    raw = given.identities.model_dump() if given.identities else {}
    raw["crm_lead_id"] = given.crm_lead_id or raw.get("crm_lead_id")
    identities = hash_identities(
        raw, stamp.hasher, lambda key: pointer("identities", key) if key else "/crm_lead_id"
    )
    if isinstance(identities, Rejection):
        return identities
    occurred_at = corrected_time(given.occurred_at, None, stamp.received_at)
    late = check_time(occurred_at, stamp.received_at, "/occurred_at")
    if late:
        return late
    is_stage = isinstance(given, StageChangeIn)
    properties_model = SalesStageChangedV2 if is_stage else CommunicationLoggedV2
    # Only what the record set: a version 2 record without `owner` is then missing it.
    properties = given.model_dump(include=set(field_names(properties_model)), exclude_unset=True)
    event = build_event(
        {
            "event_id": given.event_id or new_event_id(),
            "type": "sales_stage_changed" if is_stage else "communication_logged",
            "schema_version": given.schema_version,
            "channel": "crm",
            "occurred_at": occurred_at,
            "received_at": stamp.received_at,
            "source": stamp.source,
            "identities": identities,
            "context": scrub(given.context),
            "properties": properties,
        },
        _flat,
    )
    details = [given.contact.model_dump()] if given.contact else []
    return hold_contact(stamp, event, raw, *details)


def _flat(loc: Sequence[str | int]) -> Sequence[str | int]:
    # A CRM record is flat: the version's checks on `properties.owner` point at `/owner`.
    return loc[1:] if loc and loc[0] == "properties" else loc

"""What the stale detector reads from each topic: records decoded into small event-time signals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, TypeAdapter, ValidationError

from schemas.events import (
    CommunicationLoggedEvent,
    Event,
    IdentifyEvent,
    SalesStageChangedEvent,
    parse_event,
)
from schemas.outgoing import LeadDemoted, LeadPromoted, LeadsMerged, ResolvedEvent, Tier
from schemas.storable import unstorable_record


class Source(StrEnum):
    """The topics the detector reads, by the contract they carry."""

    LEAD_EVENTS = "lead_events"
    PROMOTIONS = "promotions"
    SALES_STAGES = "sales_stages"
    MERGES = "merges"


@dataclass(frozen=True, slots=True)
class Merged:
    """`lead_id` was merged into `surviving_lead_id`."""

    lead_id: str
    surviving_lead_id: str
    at: datetime
    order: int = 0


@dataclass(frozen=True, slots=True)
class TierChanged:
    """The lead was promoted or demoted to `tier`."""

    lead_id: str
    at: datetime
    tier: Tier
    order: int = 1
    promoted: bool = True  # False: a demotion


@dataclass(frozen=True, slots=True)
class StageMoved:
    """An opportunity changed stage; `lead_id` is None until resolved by opportunity id."""

    lead_id: str | None
    opportunity_id: str
    stage: str
    at: datetime
    event_id: str
    owner: str | None = None
    order: int = 2


@dataclass(frozen=True, slots=True)
class Interaction:
    """Something happened with the lead at `at` (by `owner`, when a salesperson logged it)."""

    lead_id: str
    at: datetime
    owner: str | None = None
    order: int = 3


Signal = Merged | TierChanged | StageMoved | Interaction


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that does not fit its topic's contract (each consumer dead-letters it)."""

    reason: str


_TIER_CHANGE: TypeAdapter[LeadPromoted | LeadDemoted] = TypeAdapter(
    Annotated[LeadPromoted | LeadDemoted, Field(discriminator="kind")]
)


def _stage(lead_id: str | None, event: SalesStageChangedEvent) -> StageMoved:
    p, at = event.properties, event.occurred_at
    return StageMoved(lead_id, p.opportunity_id, p.stage, at, event.event_id, p.owner)


def _lead_event(lead_id: str, event: Event) -> list[Signal]:
    match event:
        case SalesStageChangedEvent():
            owner = event.properties.owner
            return [_stage(lead_id, event), Interaction(lead_id, event.occurred_at, owner)]
        case CommunicationLoggedEvent():
            return [Interaction(lead_id, event.occurred_at, event.properties.owner)]
        case IdentifyEvent():
            return []  # a CRM trait sync says nothing about contact with the lead
    return [Interaction(lead_id, event.occurred_at)]


def decode(source: Source, value: bytes | None) -> list[Signal] | Rejected:
    """The signals one record carries (none for a tombstone), or why it was rejected."""
    if value is None:
        return []
    unstorable = unstorable_record(value)
    if unstorable is not None:
        return Rejected(f"unstorable: {unstorable[1]} at {unstorable[0]!r}")
    try:
        match source:
            case Source.LEAD_EVENTS:
                resolved = ResolvedEvent.model_validate_json(value)
                return _lead_event(resolved.lead_id, resolved.event)
            case Source.PROMOTIONS:
                c = _TIER_CHANGE.validate_json(value)
                up = isinstance(c, LeadPromoted)
                return [TierChanged(c.lead_id, c.occurred_at, c.to_tier, promoted=up)]
            case Source.MERGES:
                merge = LeadsMerged.model_validate_json(value)
                return [Merged(merge.merged_lead_id, merge.surviving_lead_id, merge.occurred_at)]
            case Source.SALES_STAGES:
                return [_stage_record(value)]
    except (ValidationError, ValueError) as error:
        return Rejected(f"{type(error).__name__}: {str(error).splitlines()[0]}")


def _stage_record(value: bytes) -> StageMoved:
    """The CRM's own envelope (no lead id yet), or a resolved wrapper around it."""
    if b'"lead_id"' in value and b'"event"' in value:
        resolved = ResolvedEvent.model_validate_json(value)
        if isinstance(resolved.event, SalesStageChangedEvent):
            return _stage(resolved.lead_id, resolved.event)
    event = parse_event(value)
    if not isinstance(event, SalesStageChangedEvent):
        raise ValueError(f"expected a sales_stage_changed event, got {event.type}")
    return _stage(None, event)


def unresolved_opportunities(signals: list[Signal]) -> set[str]:
    """Opportunity ids of stage changes that arrived without their lead."""
    return {s.opportunity_id for s in signals if isinstance(s, StageMoved) and s.lead_id is None}


def resolve(signals: list[Signal], leads_by_opportunity: Mapping[str, str]) -> list[Signal]:
    """Name the lead of lead-less stage changes; drop those whose opportunity is still unknown."""
    known = dict(leads_by_opportunity)
    for signal in signals:  # opportunities whose resolved copy is in the same batch
        if isinstance(signal, StageMoved) and signal.lead_id is not None:
            known.setdefault(signal.opportunity_id, signal.lead_id)
    resolved: list[Signal] = []
    for signal in signals:
        if isinstance(signal, StageMoved) and signal.lead_id is None:
            lead = known.get(signal.opportunity_id)
            if lead is None:
                continue  # its resolved copy on the lead-event topic will carry the lead
            signal = replace(signal, lead_id=lead)
        resolved.append(signal)
    return resolved

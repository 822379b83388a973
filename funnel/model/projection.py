"""Pure projection core: decode Kafka records into facts and fold a batch of facts into rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from funnel.model.rows import (
    TIER_RANK,
    CommunicationRow,
    IdentityRow,
    LeadPatch,
    MergeRow,
    RowChanges,
    SpendRow,
    StageChangeRow,
    TimelineRow,
    TransitionRow,
)
from funnel.model.stages import LOST, WON
from schemas.events import (
    CommunicationLoggedEvent,
    CommunicationLoggedV2,
    Event,
    SalesStageChangedEvent,
    SalesStageChangedV2,
    parse_event,
)
from schemas.outgoing import (
    LeadDemoted,
    LeadPromoted,
    LeadsMerged,
    PersonErased,
    ResolvedEvent,
    ScoreChanged,
    Tier,
)
from schemas.spend import SpendRecorded
from schemas.storable import unstorable_record


class Source(StrEnum):
    """The topics the projector reads, by the contract they carry."""

    LEAD_EVENTS = "lead_events"
    SCORES = "scores"
    PROMOTIONS = "promotions"
    MERGES = "merges"
    SALES_STAGES = "sales_stages"
    SPEND = "spend"
    ERASURES = "erasures"


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One Kafka record as the adapter hands it over."""

    source: Source
    topic: str
    partition: int
    offset: int
    value: bytes | None


@dataclass(frozen=True, slots=True)
class Scored:
    """A score change with its log offset: the latest offset per lead is the current score."""

    change: ScoreChanged
    offset: int


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that does not fit its topic's contract; it goes to the dead-letter topic."""

    record: SourceRecord
    reason: str
    field: str | None


Fact = (
    ResolvedEvent
    | Scored
    | LeadPromoted
    | LeadDemoted
    | LeadsMerged
    | SalesStageChangedEvent
    | SpendRecorded  # a month's marketing spend: no lead, its own table
    | PersonErased  # funnel/model/privacy.py: what it names is left out and removed
)
Decoded = Fact | Rejected | None  # None: a tombstone, nothing to project

_TIER_CHANGE: TypeAdapter[LeadPromoted | LeadDemoted] = TypeAdapter(
    Annotated[LeadPromoted | LeadDemoted, Field(discriminator="kind")]
)


def _pointer(location: tuple[int | str, ...]) -> str:
    return "/" + "/".join(str(part) for part in location)


def _stage_record(value: bytes) -> ResolvedEvent | SalesStageChangedEvent:
    """The sales-stage topic carries the CRM envelope (a resolved wrapper is accepted too)."""
    if b'"lead_id"' in value and b'"event"' in value:
        resolved = ResolvedEvent.model_validate_json(value)
        if isinstance(resolved.event, SalesStageChangedEvent):
            return resolved
    event = parse_event(value)
    if not isinstance(event, SalesStageChangedEvent):
        raise ValueError(f"expected a sales_stage_changed event, got {event.type}")
    return event


def decode(record: SourceRecord) -> Decoded:
    """The fact a record carries, a rejection naming the offending field, or None (tombstone)."""
    if record.value is None:
        return None
    value = record.value
    unstorable = unstorable_record(value)
    if unstorable is not None:
        return Rejected(record, f"unstorable: {unstorable[1]}", unstorable[0])
    try:
        match record.source:
            case Source.LEAD_EVENTS:
                return ResolvedEvent.model_validate_json(value)
            case Source.SCORES:
                return Scored(ScoreChanged.model_validate_json(value), record.offset)
            case Source.PROMOTIONS:
                return _TIER_CHANGE.validate_json(value)
            case Source.MERGES:
                return LeadsMerged.model_validate_json(value)
            case Source.SALES_STAGES:
                return _stage_record(value)
            case Source.SPEND:
                return SpendRecorded.model_validate_json(value)
            case Source.ERASURES:
                return PersonErased.model_validate_json(value)
    except ValidationError as error:
        first = error.errors()[0]
        return Rejected(record, f"{first['type']}: {first['msg']}", _pointer(first["loc"]))
    except ValueError as error:
        return Rejected(record, str(error), None)


# --- lead-id resolution ----------------------------------------------------------------------


def resolve_aliases(known: Mapping[str, str], merges: Iterable[LeadsMerged]) -> dict[str, str]:
    """merged lead → final survivor, following chains; merges that would loop are ignored."""
    direct = dict(known)
    for merge in merges:
        direct.setdefault(merge.merged_lead_id, merge.surviving_lead_id)
    resolved: dict[str, str] = {}
    for merged in direct:
        seen, current = {merged}, direct[merged]
        while current in direct and current not in seen:
            seen.add(current)
            current = direct[current]
        if current != merged:
            resolved[merged] = current
    return resolved


def lead_ids(facts: Iterable[Fact]) -> set[str]:
    """Every lead id the facts mention, merges included (to look their aliases up)."""
    ids: set[str] = set()
    for fact in facts:
        match fact:
            case ResolvedEvent() | LeadPromoted() | LeadDemoted():
                ids.add(fact.lead_id)
            case Scored():
                ids.add(fact.change.lead_id)
            case LeadsMerged():
                ids.update((fact.merged_lead_id, fact.surviving_lead_id))
            case PersonErased():
                ids.update(fact.lead_ids)
    return ids


def touched_keys(facts: Sequence[Fact]) -> set[str]:
    """The leads and opportunities whose rows the facts may change (survivors: `survivor_keys`).

    Concurrent projectors lock these, so batches that share none run side by side.
    """
    keys = {f"lead:{lead}" for lead in lead_ids(facts)}
    for fact in facts:
        event = fact.event if isinstance(fact, ResolvedEvent) else fact
        if isinstance(event, SalesStageChangedEvent):
            keys.add(f"opportunity:{event.properties.opportunity_id}")
    return keys


def survivor_keys(aliases: Mapping[str, str]) -> set[str]:
    """The lock keys of the leads that merged leads of a batch resolve to."""
    return {f"lead:{survivor}" for survivor in aliases.values()}


# --- the fold --------------------------------------------------------------------------------


def _campaign(event: Event) -> str | None:
    if event.campaign is not None:
        return event.campaign
    campaign = getattr(event.properties, "campaign_id", None)
    return campaign if isinstance(campaign, str) else None


def _stage_change(event: SalesStageChangedEvent, lead_id: str | None) -> StageChangeRow:
    p = event.properties
    v2 = p if isinstance(p, SalesStageChangedV2) else None  # version 1 could not attach evidence
    return StageChangeRow(
        event_id=event.event_id,
        opportunity_id=p.opportunity_id,
        lead_id=lead_id,
        stage=p.stage,
        previous_stage=p.previous_stage,
        owner=p.owner,
        amount=p.amount,
        currency=p.currency,
        lost_reason=p.lost_reason,
        occurred_at=event.occurred_at,
        evidence=None if v2 is None else tuple(v2.evidence),
        approved_by=None if v2 is None else v2.approved_by,
    )


def _crm_facts(changes: RowChanges, lead: str, event: Event) -> dict[str, Any]:
    """Rows of CRM events, and what they add to the lead's patch (owner, contact, win, loss)."""
    at, owner = event.occurred_at, None
    facts: dict[str, Any] = {}
    match event:
        case SalesStageChangedEvent():
            _fold_stage_change(changes, _stage_change(event, lead))
            owner, stage = event.properties.owner, event.properties.stage
            facts = {"won_at": at} if stage == WON else {"lost_at": at} if stage == LOST else {}
        case CommunicationLoggedEvent():
            _fold_communication(changes, lead, event)
            owner = event.properties.owner
            facts = {"last_effective_contact_at": at} if event.properties.is_effective else {}
    if owner is not None:
        facts |= {"owner": owner, "owner_changed_at": at, "owner_event_id": event.event_id}
    return facts


def _fold_event(changes: RowChanges, lead: str, event: Event) -> None:
    at, campaign = event.occurred_at, _campaign(event)
    changes.patch(
        LeadPatch(
            lead,
            first_seen_at=at,
            first_event_id=event.event_id,
            first_channel=event.channel.value,
            first_campaign=campaign,
            last_activity_at=at,
            **_crm_facts(changes, lead, event),
        )
    )
    for identity in event.identities.keys():  # noqa: SIM118 (a method of the model, not a dict)
        changes.identity(IdentityRow(lead, identity, at))
    changes.timeline.setdefault(
        event.event_id,
        TimelineRow(
            event_id=event.event_id,
            lead_id=lead,
            type=event.type,
            channel=event.channel.value,
            campaign=campaign,
            occurred_at=at,
            properties=event.properties.model_dump_json(exclude_none=True),
        ),
    )


def _fold_stage_change(changes: RowChanges, row: StageChangeRow) -> None:
    known = changes.stage_changes.get(row.event_id)
    if known is not None and known.lead_id is not None:
        return
    changes.stage_changes[row.event_id] = row


def _fold_communication(changes: RowChanges, lead: str, event: CommunicationLoggedEvent) -> None:
    p = event.properties
    row = CommunicationRow(
        communication_id=p.communication_id,
        event_id=event.event_id,
        lead_id=lead,
        opportunity_id=p.opportunity_id,
        kind=p.kind,
        owner=p.owner,
        is_effective=p.is_effective,
        need_identified=p.need_identified,
        next_step_agreed=p.next_step_agreed,
        referral_obtained=p.referral_obtained,
        occurred_at=event.occurred_at,
        next_step_due=p.next_step_due if isinstance(p, CommunicationLoggedV2) else None,
    )
    known = changes.communications.get(row.communication_id)
    if known is None or (row.occurred_at, row.event_id) > (known.occurred_at, known.event_id):
        changes.communications[row.communication_id] = row


def _fold_spend(changes: RowChanges, spend: SpendRecorded) -> None:
    row = SpendRow(**spend.model_dump() | {"channel": spend.channel.value})
    known = changes.spend.get(row.spend_id)
    if known is None or row.is_newer_than(known):
        changes.spend[row.spend_id] = row


def _fold_score(changes: RowChanges, lead: str, scored: Scored) -> None:
    change = scored.change
    if lead != change.lead_id:
        return  # a merged lead's score: the survivor's own score changes decide its score
    reached = change.reached
    changes.patch(
        LeadPatch(
            lead,
            score=change.score,
            tier=change.tier.value,
            rule_version=change.rule_version,
            contributions=dict(change.contributions),
            score_event_id=change.event_id,
            score_changed_at=change.occurred_at,
            score_offset=scored.offset,
            # the lead's own timeline (docs/metrics.md): replaces what the promotions said
            reach_offset=None if reached is None else scored.offset,
            mql_at=None if reached is None else reached.get(Tier.MQL),
            sql_at=None if reached is None else reached.get(Tier.SQL),
            opportunity_at=None if reached is None else reached.get(Tier.OPPORTUNITY),
        )
    )


def _fold_tier_change(changes: RowChanges, lead: str, fact: LeadPromoted | LeadDemoted) -> None:
    promoted = isinstance(fact, LeadPromoted)
    transition_id = fact.promotion_id if isinstance(fact, LeadPromoted) else fact.demotion_id
    changes.transitions.setdefault(
        transition_id,
        TransitionRow(
            transition_id=transition_id,
            lead_id=lead,
            kind="promoted" if promoted else "demoted",
            from_tier=fact.from_tier.value,
            to_tier=fact.to_tier.value,
            score=fact.score,
            rule_version=fact.rule_version,
            reasons=list(fact.reasons),
            trigger_event_id=fact.trigger_event_id if isinstance(fact, LeadPromoted) else None,
            occurred_at=fact.occurred_at,
        ),
    )
    if promoted:
        rank, at = TIER_RANK[fact.to_tier.value], fact.occurred_at
        mql, sql, opportunity = (at if rank >= needed else None for needed in (1, 2, 3))
        changes.patch(LeadPatch(lead, mql_at=mql, sql_at=sql, opportunity_at=opportunity))


def fold(
    facts: Iterable[Fact],
    aliases: Mapping[str, str],
    absorbed_leads: Iterable[LeadPatch] = (),
    absorbed_identities: Iterable[IdentityRow] = (),
) -> RowChanges:
    """Rows for one batch; lead ids resolved through `aliases`, merged leads' rows folded in."""
    changes = RowChanges()

    def resolve(lead_id: str) -> str:
        return aliases.get(lead_id, lead_id)

    for fact in facts:
        match fact:
            case ResolvedEvent():
                _fold_event(changes, resolve(fact.lead_id), fact.event)
            case Scored():
                _fold_score(changes, resolve(fact.change.lead_id), fact)
            case LeadPromoted() | LeadDemoted():
                _fold_tier_change(changes, resolve(fact.lead_id), fact)
            case LeadsMerged():
                survivor = resolve(fact.merged_lead_id)
                if survivor != fact.merged_lead_id:
                    changes.merges.setdefault(
                        fact.merged_lead_id,
                        MergeRow(
                            fact.merged_lead_id,
                            survivor,
                            fact.merge_id,
                            list(fact.linking_identities),
                            fact.occurred_at,
                        ),
                    )
            case SalesStageChangedEvent():
                _fold_stage_change(changes, _stage_change(fact, None))
            case SpendRecorded():
                _fold_spend(changes, fact)
    for patch in absorbed_leads:
        changes.patch(patch.absorbed_into(resolve(patch.lead_id)))
    for identity in absorbed_identities:
        changes.identity(
            IdentityRow(resolve(identity.lead_id), identity.identity, identity.first_seen_at)
        )
    return changes

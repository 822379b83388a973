"""Pure projection of privacy facts: sealed contact rows, and leaving erased leads out.

The projector never sees contact details in clear: it stores each event's sealed contact (the
ciphertext, its key id and the company blind index) under the event's lead. Facts about an
erased lead are dropped before the fold, live or in a rebuild, so an erased person never comes
back into the read models from the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from funnel.model.projection import Fact, Scored
from schemas.outgoing import (
    LeadDemoted,
    LeadPromoted,
    LeadsMerged,
    PersonErased,
    ResolvedEvent,
)


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One event's sealed contact, under the lead the event resolved to."""

    event_id: str
    lead_id: str
    key_id: str
    ciphertext: str
    company_index: list[str]
    occurred_at: datetime


def contact_rows(facts: Iterable[Fact], aliases: Mapping[str, str]) -> list[ContactRow]:
    """The sealed contacts the resolved events of a batch carry, one row per event."""
    rows: dict[str, ContactRow] = {}
    for fact in facts:
        if not isinstance(fact, ResolvedEvent) or fact.event.contact is None:
            continue
        event, sealed = fact.event, fact.event.contact
        rows[event.event_id] = ContactRow(
            event_id=event.event_id,
            lead_id=aliases.get(fact.lead_id, fact.lead_id),
            key_id=sealed.key_id,
            ciphertext=sealed.ciphertext,
            company_index=list(sealed.company_index),
            occurred_at=event.occurred_at,
        )
    return list(rows.values())


def erased_in(facts: Iterable[Fact]) -> set[str]:
    """Every lead a batch's `PersonErased` facts name."""
    return {lead for fact in facts if isinstance(fact, PersonErased) for lead in fact.lead_ids}


def _leads_of(fact: Fact) -> tuple[str, ...]:
    match fact:
        case ResolvedEvent() | LeadPromoted() | LeadDemoted():
            return (fact.lead_id,)
        case LeadsMerged():
            return (fact.merged_lead_id, fact.surviving_lead_id)
        case Scored():
            return (fact.change.lead_id,)
    return ()


def without_erased(
    facts: Sequence[Fact], erased: set[str], aliases: Mapping[str, str]
) -> list[Fact]:
    """The facts that concern no erased lead (directly or through the survivor it merged into)."""
    if not erased:
        return [fact for fact in facts if not isinstance(fact, PersonErased)]
    return [
        fact
        for fact in facts
        if not isinstance(fact, PersonErased)
        and not any(lead in erased or aliases.get(lead, lead) in erased for lead in _leads_of(fact))
    ]

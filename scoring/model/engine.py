"""The scoring fold: `apply` an event, `sweep` decay to a time, `merge` two leads. Pure, no I/O.

Every function takes a state and returns a new state plus the events to publish; replaying the
same inputs in the same order gives identical states and identical emissions (see docs/scoring.md).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from schemas.events import CommunicationLoggedEvent, Event
from schemas.outgoing import LeadsMerged
from scoring.model.bounds import prune
from scoring.model.clock import to_us
from scoring.model.crossings import Emitted, evaluate, settle
from scoring.model.ledger import accept, advance, event_us
from scoring.model.merging import combine
from scoring.model.reach import extend, joined
from scoring.model.rules import RuleSet
from scoring.model.state import LeadState, new_lead, replace

__all__ = [
    "Admission",
    "Emitted",
    "admit",
    "admit_and_apply",
    "apply",
    "evaluate",
    "merge",
    "new_lead",
    "sweep",
    "tombstone",
]


class Admission(StrEnum):
    """What `apply` does with an event; anything but ACCEPTED leaves the state untouched."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # its event_id was already applied
    TOO_LATE = "too_late"  # at or before the watermark: older than the lateness horizon allows
    INEFFECTIVE = "ineffective"  # a communication without need, next step or referral
    MERGED = "merged"  # this lead was merged away: re-key the event to `state.merged_into`


def admit(state: LeadState, event: Event, rules: RuleSet) -> Admission:
    """Decide whether an event will be scored (also what an adapter counts in its metrics)."""
    return _admit(state, event, event_us(event), rules)


def _admit(state: LeadState, event: Event, at_us: int, rules: RuleSet) -> Admission:
    if state.merged_into is not None:
        return Admission.MERGED
    if event.event_id in state.seen:
        return Admission.DUPLICATE
    watermark = state.watermark_us(rules.limits.max_lateness_days)
    if watermark is not None and at_us <= watermark:
        return Admission.TOO_LATE
    match event:
        case CommunicationLoggedEvent(properties=properties) if not properties.is_effective:
            return Admission.INEFFECTIVE
        case _:
            return Admission.ACCEPTED


def apply(state: LeadState, event: Event, rules: RuleSet) -> tuple[LeadState, list[Emitted]]:
    """Fold one event into a lead: its score, counts and tier, with the events that says."""
    _, after, emitted = admit_and_apply(state, event, rules)
    return after, emitted


def admit_and_apply(
    state: LeadState, event: Event, rules: RuleSet
) -> tuple[Admission, LeadState, list[Emitted]]:
    """`admit`, then `apply` if accepted, deciding admission once (what the scoring agent asks)."""
    at_us = event_us(event)
    admission = _admit(state, event, at_us, rules)
    if admission is not Admission.ACCEPTED:
        return admission, state, []
    matched = rules.matching(event.type, event.properties)
    accepted = accept(state, event, at_us, matched, rules)
    evaluated = evaluate(accepted, rules)  # pruning changes no count: settle's evaluation too
    reached = extend(state, accepted, event.event_id, at_us, rules, evaluated[0])
    after = prune(replace(accepted, reached=reached), rules)
    at = event.occurred_at
    return admission, *settle(state, after, rules, "event", event.event_id, at, evaluated)


def sweep(state: LeadState, now: datetime, rules: RuleSet) -> tuple[LeadState, list[Emitted]]:
    """Decay the score up to `now` (timer-driven); emits the demotions decay causes."""
    if state.merged_into is not None or state.as_of_us is None or state.last_event_id is None:
        return state, []
    if to_us(now) <= state.as_of_us:
        return state, []
    after = advance(state, to_us(now), rules)
    return settle(state, after, rules, "decay", state.last_event_id, now)


def merge(
    survivor: LeadState, merged: LeadState, rules: RuleSet, merge_event: LeadsMerged
) -> tuple[LeadState, list[Emitted]]:
    """Fold a merged lead's state into the survivor's; a repeated merge changes nothing."""
    if merged.lead_id == survivor.lead_id or merged.lead_id in survivor.merged_from:
        return survivor, []
    combined = combine(survivor, merged, rules)
    combined = replace(combined, reached=joined(survivor, merged, combined, rules))
    # Both leads' promotions were already announced: only a tier above both is a new crossing.
    before = replace(survivor, tier=combined.tier)
    at, trigger = merge_event.occurred_at, merge_event.trigger_event_id
    return settle(before, combined, rules, "merge", trigger, at)


def tombstone(state: LeadState, survivor_id: str) -> LeadState:
    """The merged-away lead's state once its content went to the survivor: it forwards events."""
    return LeadState(lead_id=state.lead_id, merged_into=survivor_id)

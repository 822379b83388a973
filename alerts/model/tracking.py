"""What the stale detector tracks per lead, and the pure fold of signals and sweeps over it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from alerts.model import stale
from alerts.model.signals import Interaction, Merged, Signal, StageMoved, TierChanged
from alerts.model.stale import LeadActivity, StaleConfig
from funnel.model.stages import DEFAULT_ORDER
from schemas.outgoing import Alert


@dataclass(frozen=True, slots=True)
class StageMark:
    """An opportunity's latest known stage change."""

    stage: str
    at: datetime
    event_id: str


@dataclass(frozen=True, slots=True)
class TrackedLead:
    """The stale rule's state of one lead, plus what derives it: tier time, opportunities."""

    activity: LeadActivity
    tier_at: datetime | None = None
    opportunities: Mapping[str, StageMark] = field(default_factory=dict)

    @property
    def lead_id(self) -> str:
        """The lead's id."""
        return self.activity.lead_id

    def due_at(self, config: StaleConfig) -> datetime | None:
        """When a sweep must judge the lead next; None while inactive or already flagged."""
        if self.activity.alerted_idle_since == self.activity.idle_since:
            return None
        return stale.stale_at(self.activity, config)


def new_lead(lead_id: str) -> TrackedLead:
    """A lead seen for the first time: tier lead, nothing open, no interaction yet."""
    return TrackedLead(LeadActivity(lead_id))


def _has_open(opportunities: Mapping[str, StageMark]) -> bool:
    return any(not DEFAULT_ORDER.is_terminal(mark.stage) for mark in opportunities.values())


def apply(
    lead: TrackedLead, signal: Signal, config: StaleConfig
) -> tuple[TrackedLead, list[Alert]]:
    """Fold one signal into the lead: judge idleness at its event time, then record it."""
    state = lead.activity
    match signal:
        case Interaction():
            state, alerts = stale.on_activity(state, signal.at, config)
            if signal.owner is not None and signal.owner != state.owner:
                state = replace(state, owner=signal.owner)
            return replace(lead, activity=state), alerts
        case TierChanged():
            if lead.tier_at is not None and signal.at < lead.tier_at:
                return lead, []  # an older tier change than the one applied
            state, alerts = stale.on_status(
                state, signal.at, signal.tier, state.has_open_opportunity, config=config
            )
            return replace(lead, activity=state, tier_at=signal.at), alerts
        case StageMoved():
            known = lead.opportunities.get(signal.opportunity_id)
            mark = StageMark(signal.stage, signal.at, signal.event_id)
            if known is not None and (known.at, known.event_id) >= (mark.at, mark.event_id):
                return lead, []
            opportunities = {**lead.opportunities, signal.opportunity_id: mark}
            state, alerts = stale.on_status(
                state, signal.at, state.tier, _has_open(opportunities), signal.owner, config
            )
            return replace(lead, activity=state, opportunities=opportunities), alerts
        case Merged():
            return lead, []  # merges need both leads: see `absorb`


def absorb(
    survivor: TrackedLead, merged: TrackedLead, config: StaleConfig
) -> tuple[TrackedLead, list[Alert]]:
    """The survivor takes over the merged lead's opportunities and latest interaction."""
    opportunities = dict(merged.opportunities)
    for key, mark in survivor.opportunities.items():
        theirs = opportunities.get(key)
        if theirs is None or (mark.at, mark.event_id) > (theirs.at, theirs.event_id):
            opportunities[key] = mark
    state, alerts = survivor.activity, list[Alert]()
    last = merged.activity.last_activity_at
    if last is not None:
        state, alerts = stale.on_activity(state, last, config)
    has_open = _has_open(opportunities)
    if has_open != state.has_open_opportunity:
        at = max(m.at for m in opportunities.values())
        state, more = stale.on_status(state, at, state.tier, has_open, config=config)
        alerts += more
    state = replace(state, owner=state.owner or merged.activity.owner)
    return replace(survivor, activity=state, opportunities=opportunities), alerts


def retired(merged: TrackedLead) -> TrackedLead:
    """A merged-away lead: no longer followed up, its flag lapses silently."""
    return TrackedLead(LeadActivity(merged.lead_id, owner=merged.activity.owner))


def fold(
    leads: Mapping[str, TrackedLead], signals: Iterable[Signal], config: StaleConfig
) -> tuple[dict[str, TrackedLead], list[Alert]]:
    """Fold a batch of signals into the leads they name, in event-time order."""
    return fold_in_order(leads, sorted(signals, key=lambda s: (s.at, s.order)), config)


def fold_in_order(
    leads: Mapping[str, TrackedLead], signals: Iterable[Signal], config: StaleConfig
) -> tuple[dict[str, TrackedLead], list[Alert]]:
    """Fold signals in the order given (the worker's event-time merge of its partitions)."""
    result = dict(leads)
    alerts: list[Alert] = []
    for signal in signals:
        if isinstance(signal, Merged):
            survivor = result.get(signal.surviving_lead_id) or new_lead(signal.surviving_lead_id)
            gone = result.get(signal.lead_id) or new_lead(signal.lead_id)
            result[survivor.lead_id], raised = absorb(survivor, gone, config)
            result[gone.lead_id] = retired(gone)
            alerts += raised
            continue
        if signal.lead_id is None:
            continue  # a stage change whose lead is unknown: `signals.resolve` drops these
        lead = result.get(signal.lead_id) or new_lead(signal.lead_id)
        result[lead.lead_id], raised = apply(lead, signal, config)
        alerts += raised
    return result, alerts


def sweep(
    leads: Iterable[TrackedLead], now: datetime, config: StaleConfig
) -> tuple[list[TrackedLead], list[Alert]]:
    """Judge every lead at the watermark `now`; returns every lead as judged, and the alerts."""
    judged: list[TrackedLead] = []
    alerts: list[Alert] = []
    for lead in leads:
        state, raised = stale.evaluate(lead.activity, now, config)
        judged.append(replace(lead, activity=state))
        alerts += raised
    return judged, alerts

"""The scoring agent's decisions: fold lead inputs (events, merges, hand-overs, sweeps) into leads.

Pure: the agent hands in each input and the tables as `Overlay`s; this module calls the engine
and says what the tables must now hold and what to publish. Every decision depends only on the
table values and the input, so a redelivered input after a crash decides the same again.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from schemas.events import Event
from schemas.outgoing import LeadDemoted, LeadPromoted, LeadsMerged, PersonErased, Tier
from scoring.model.clock import DAY_US, to_us
from scoring.model.effects import Effects, Out, Overlay
from scoring.model.engine import Admission, admit_and_apply, merge, sweep, tombstone
from scoring.model.identity import reconcile
from scoring.model.messages import (
    AbsorbLead,
    ForgetLead,
    Handoff,
    MergeLead,
    ScoreEvent,
    SweepLeads,
    decode_input,
    encode,
)
from scoring.model.nurture import suggest_nurture
from scoring.model.resolving import Record, dead_letter
from scoring.model.rules import RuleSet
from scoring.model.state import LeadState, new_lead

# An erased lead's state: nothing but its id and this mark where a merged lead names its survivor
# (never a lead id, which all start with `lead_`). Events, merges and hand-overs that still reach
# it are dropped, so replays and late events never rebuild what was erased (docs/privacy.md).
ERASED = "erased"


def erased(lead_id: str) -> LeadState:
    """The tombstone an erasure leaves: no score, no counts, no event ids."""
    return LeadState(lead_id=lead_id, merged_into=ERASED)


def is_erased(state: LeadState | None) -> bool:
    """Whether this state is an erasure's tombstone."""
    return state is not None and state.merged_into == ERASED


class Tables:
    """The scoring agent's tables as one batch sees them."""

    def __init__(
        self,
        leads: Overlay[LeadState],
        identities: Overlay[tuple[str, ...]],
        nurtured: Overlay[str],
    ) -> None:
        self.leads, self.identities, self.nurtured = leads, identities, nurtured

    def lead(self, lead_id: str) -> LeadState:
        """The lead's state (a new lead when unknown)."""
        return self.leads.get(lead_id) or new_lead(lead_id)

    def note_identities(self, lead_id: str, keys: list[str] | tuple[str, ...]) -> None:
        """Remember the identity keys a lead was seen with (for the score endpoint)."""
        known = self.identities.get(lead_id) or ()
        if not set(keys) <= set(known):
            self.identities.set(lead_id, tuple(sorted({*known, *keys})))


def is_sweepable(state: LeadState, now_us: int, rules: RuleSet) -> bool:
    """Whether sweeps may still change anything: decay above the first tier, or nurture."""
    if state.merged_into is not None or state.last_activity_us is None:
        return False
    idle_days = (now_us - state.last_activity_us) / DAY_US
    return state.tier is not Tier.LEAD or idle_days <= rules.nurture.active_within_days


class Folder:
    """Applies lead inputs with one rule set; sweeps publish only tier changes or real drops.

    A `handoff` shared with the process's `Resolver` saves parsing the events it just resolved.
    """

    def __init__(
        self, rules: RuleSet, sweep_min_change: float, nurture: bool, handoff: Handoff | None = None
    ) -> None:
        self.rules, self.sweep_min_change, self.nurture = rules, sweep_min_change, nurture
        self.handoff = handoff

    def on_input(self, record: Record, tables: Tables, fx: Effects, now: datetime) -> None:
        """Decode one lead input and apply it."""
        value = record.value or b""
        handed = self.handoff.take(value) if self.handoff is not None else None
        if handed is not None:
            self.score(handed.lead_id, handed.event, tables, fx, handed.keys)
            return
        try:
            message = decode_input(value)
        except ValidationError as error:
            fx.dead_letter(dead_letter(record, error, now))
            return
        match message:
            case ScoreEvent():
                self.score(message.lead_id, message.event, tables, fx)
            case MergeLead():
                self.hand_over(message, tables, fx)
            case AbsorbLead():
                self.absorb(message, tables, fx)
            case SweepLeads():
                self.sweep(message, tables, fx)
            case ForgetLead():
                self.forget(message, tables, fx)

    def on_erasure(self, record: Record, fx: Effects, now: datetime) -> None:
        """A `PersonErased`: one `ForgetLead` to each erased lead's own partition."""
        try:
            erasure = PersonErased.model_validate_json(record.value or b"")
        except ValidationError as error:
            fx.dead_letter(dead_letter(record, error, now))
            return
        for lead_id in erasure.lead_ids:
            forget = ForgetLead(lead_id=lead_id, erasure_id=erasure.erasure_id)
            fx.send(Out.LEAD_INPUTS, lead_id, encode(forget))

    def forget(self, message: ForgetLead, tables: Tables, fx: Effects) -> None:
        """Replace the lead's state by the erasure tombstone; forget its identity keys and score."""
        lead_id = message.lead_id
        fx.count("erased")
        tables.leads.set(lead_id, erased(lead_id))
        fx.send(Out.LEAD_SCORES, lead_id, None)  # compaction then drops its last score too
        if tables.identities.get(lead_id):
            tables.identities.set(lead_id, ())
        if tables.nurtured.get(lead_id):
            tables.nurtured.set(lead_id, "")
        fx.schedule[lead_id] = False

    def score(
        self,
        lead_id: str,
        event: Event,
        tables: Tables,
        fx: Effects,
        keys: list[str] | None = None,
    ) -> None:
        """Score an event for a lead, or forward it when the lead was merged away (`keys`: its
        `identities.keys()`, when the caller has them)."""
        state = tables.lead(lead_id)
        if is_erased(state):
            fx.count("admission", ERASED)
            return
        admission, after, emitted = admit_and_apply(state, event, self.rules)
        fx.count("admission", admission.value)
        if admission is Admission.MERGED:
            survivor = state.merged_into or lead_id
            forward = ScoreEvent(lead_id=survivor, event=event)
            fx.send(Out.LEAD_INPUTS, survivor, encode(forward))
            return
        tables.note_identities(lead_id, event.identities.keys() if keys is None else keys)
        if admission is Admission.ACCEPTED:
            tables.leads.set(lead_id, after)
            fx.emit(emitted)
            fx.scored_received_at.append(event.received_at)
            fx.schedule[lead_id] = True

    def hand_over(self, message: MergeLead, tables: Tables, fx: Effects) -> None:
        """At the merged lead: send its state to the survivor and leave a forwarding tombstone."""
        merged_id, survivor = message.merge.merged_lead_id, message.merge.surviving_lead_id
        state = tables.lead(merged_id)
        if is_erased(state):
            return  # nothing left to hand over
        if state.merged_into is None:
            keys = tables.identities.get(merged_id) or ()
            absorb = AbsorbLead(merge=message.merge, state=state, identities=keys)
            fx.send(Out.LEAD_INPUTS, survivor, encode(absorb))
            tables.leads.set(merged_id, tombstone(state, survivor))
            fx.schedule[merged_id] = False
            return
        instead = reconcile(message.merge, state.merged_into)
        if instead is not None:
            fx.merged(instead)
            to_merged = encode(MergeLead(merge=instead))
            fx.send(Out.LEAD_INPUTS, instead.merged_lead_id, to_merged)

    def absorb(self, message: AbsorbLead, tables: Tables, fx: Effects) -> None:
        """At the survivor: fold the merged lead in (or pass it on if the survivor was merged)."""
        survivor_id = message.merge.surviving_lead_id
        survivor = tables.lead(survivor_id)
        if is_erased(survivor):
            return  # an erased person absorbs nothing
        if survivor.merged_into is not None:
            onward = message.model_copy(update={"merge": _renamed(message, survivor.merged_into)})
            fx.send(Out.LEAD_INPUTS, survivor.merged_into, encode(onward))
            return
        after, emitted = merge(survivor, message.state, self.rules, message.merge)
        if after is survivor:
            return  # already merged (a redelivery)
        fx.count("merged")
        tables.leads.set(survivor_id, after)
        tables.note_identities(survivor_id, message.identities)
        fx.emit(emitted)
        fx.schedule.setdefault(survivor_id, True)

    def sweep(self, message: SweepLeads, tables: Tables, fx: Effects) -> None:
        """Decay each listed lead to `now`; publish demotions, real drops and nurture."""
        now, now_us = message.now, to_us(message.now)
        for lead_id in message.lead_ids:
            state = tables.leads.get(lead_id)
            if state is None or state.merged_into is not None:
                fx.schedule[lead_id] = False
                continue
            after, emitted = sweep(state, now, self.rules)
            crossed = any(isinstance(item, LeadPromoted | LeadDemoted) for item in emitted)
            if crossed or abs(after.score - state.score) >= self.sweep_min_change:
                tables.leads.set(lead_id, after)
                fx.emit(emitted)
                state = after
            fx.count("swept")
            self._nurture(state, now, tables, fx)
            fx.schedule[lead_id] = is_sweepable(state, now_us, self.rules)

    def _nurture(self, state: LeadState, now: datetime, tables: Tables, fx: Effects) -> None:
        suggestion = suggest_nurture(state, now, self.rules.nurture) if self.nurture else None
        if suggestion is None or tables.nurtured.get(state.lead_id) == suggestion.suggestion_id:
            return
        tables.nurtured.set(state.lead_id, suggestion.suggestion_id)
        fx.nurture(suggestion)


def _renamed(message: AbsorbLead, survivor: str) -> LeadsMerged:
    """The hand-over re-addressed to the lead the named survivor was merged into."""
    return message.merge.model_copy(update={"surviving_lead_id": survivor})

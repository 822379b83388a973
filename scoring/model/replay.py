"""The whole pipeline in one process: resolve identities, merge, score — for re-scoring and tests.

The streaming worker spreads the same decisions over partitions; for the events inside the
lateness horizon both end with the same leads, scores and tiers (docs/scoring.md, Streaming).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from schemas.events import Event
from schemas.outgoing import LeadsMerged
from scoring.model.engine import Emitted, apply, merge, sweep, tombstone
from scoring.model.identity import merge_event, resolve
from scoring.model.rules import RuleSet
from scoring.model.state import LeadState, new_lead


class Replay:
    """A fold of raw events into leads under one rule set."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.identities: dict[str, str] = {}
        self.leads: dict[str, LeadState] = {}
        self.emitted: list[Emitted] = []
        self.merges: list[LeadsMerged] = []

    def live(self, lead_id: str) -> str:
        """The lead an id now stands for (following merges)."""
        state = self.leads.get(lead_id)
        while state is not None and state.merged_into is not None:
            lead_id = state.merged_into
            state = self.leads.get(lead_id)
        return lead_id

    def feed(self, event: Event) -> str:
        """Resolve and score one event; returns the lead it landed on."""
        resolution = resolve(event, self.identities)
        self.identities.update(resolution.assignments)
        for found in resolution.merges:
            self._merge(found)
        lead_id = self.live(resolution.lead_id)
        state, emitted = apply(self.leads.get(lead_id) or new_lead(lead_id), event, self.rules)
        self.leads[lead_id] = state
        self.emitted += emitted
        return lead_id

    def feed_all(self, events: Iterable[Event]) -> Replay:
        """Feed events in order."""
        for event in events:
            self.feed(event)
        return self

    def _merge(self, found: LeadsMerged) -> None:
        survivor, merged = sorted(
            (self.live(found.surviving_lead_id), self.live(found.merged_lead_id))
        )
        if survivor == merged:
            return
        key = found.linking_identities[0] if found.linking_identities else ""
        actual = merge_event(survivor, merged, key, found.trigger_event_id, found.occurred_at)
        loser = self.leads.get(merged) or new_lead(merged)
        state, emitted = merge(
            self.leads.get(survivor) or new_lead(survivor), loser, self.rules, actual
        )
        self.leads[survivor], self.leads[merged] = state, tombstone(loser, survivor)
        self.emitted += emitted
        self.merges.append(actual)

    def sweep(self, now: datetime) -> Replay:
        """Decay every live lead to `now`."""
        for lead_id, state in sorted(self.survivors().items()):
            self.leads[lead_id], emitted = sweep(state, now, self.rules)
            self.emitted += emitted
        return self

    def survivors(self) -> dict[str, LeadState]:
        """Live leads (merged-away ones excluded)."""
        return {k: v for k, v in self.leads.items() if v.merged_into is None}

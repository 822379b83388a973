"""Read-model rows the projector writes, and the order-independent merge of lead patches."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal

TIER_RANK = {"lead": 0, "mql": 1, "sql": 2, "opportunity": 3}


def _least(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _greatest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _greatest_offset(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass(frozen=True, slots=True)
class LeadPatch:
    """What a batch knows about one lead; None means 'nothing new'.

    Every field merges commutatively (min, max, or latest by a total order), so the same set of
    messages gives the same row whatever order topics interleave in, across crashes and rebuilds.
    """

    lead_id: str
    first_seen_at: datetime | None = None
    first_event_id: str | None = None
    first_channel: str | None = None
    first_campaign: str | None = None
    last_activity_at: datetime | None = None
    last_effective_contact_at: datetime | None = None
    owner: str | None = None
    owner_changed_at: datetime | None = None
    owner_event_id: str | None = None
    # The score comes only from ScoreChanged published under this very lead id, latest by offset.
    score: float | None = None
    tier: str | None = None
    rule_version: str | None = None
    contributions: dict[str, float] | None = None
    score_event_id: str | None = None
    score_changed_at: datetime | None = None
    score_offset: int | None = None
    # Set: mql/sql/opportunity_at are the reach times (the lead's own timeline, exact, null when
    # not reached) of the ScoreChanged at this offset, the latest that carried them; None: they
    # are the earliest promotion to each tier (records written before reach times existed).
    reach_offset: int | None = None
    mql_at: datetime | None = None
    sql_at: datetime | None = None
    opportunity_at: datetime | None = None
    won_at: datetime | None = None
    lost_at: datetime | None = None

    def merge(self, other: LeadPatch) -> LeadPatch:
        """Combine two patches of the same lead; commutative and associative."""
        # Written out long-hand: this runs once per event and dominates the fold's time.
        a_at, b_at = self.first_seen_at, other.first_seen_at
        first = (
            other
            if a_at is None
            or (
                b_at is not None
                and (b_at, other.first_event_id or "") < (a_at, self.first_event_id or "")
            )
            else self
        )
        a_at, b_at = self.owner_changed_at, other.owner_changed_at
        owner = (
            other
            if a_at is None
            or (
                b_at is not None
                and (b_at, other.owner_event_id or "") > (a_at, self.owner_event_id or "")
            )
            else self
        )
        a_off, b_off = self.score_offset, other.score_offset
        scored = other if a_off is None or (b_off is not None and b_off > a_off) else self
        a_off, b_off = self.reach_offset, other.reach_offset
        if a_off is not None or b_off is not None:
            reached = other if a_off is None or (b_off is not None and b_off > a_off) else self
            mql, sql, opportunity = reached.mql_at, reached.sql_at, reached.opportunity_at
        else:
            mql = _least(self.mql_at, other.mql_at)
            sql = _least(self.sql_at, other.sql_at)
            opportunity = _least(self.opportunity_at, other.opportunity_at)
        return LeadPatch(
            self.lead_id,
            first.first_seen_at,
            first.first_event_id,
            first.first_channel,
            first.first_campaign,
            _greatest(self.last_activity_at, other.last_activity_at),
            _greatest(self.last_effective_contact_at, other.last_effective_contact_at),
            owner.owner,
            owner.owner_changed_at,
            owner.owner_event_id,
            scored.score,
            scored.tier,
            scored.rule_version,
            scored.contributions,
            scored.score_event_id,
            scored.score_changed_at,
            scored.score_offset,
            _greatest_offset(self.reach_offset, other.reach_offset),
            mql,
            sql,
            opportunity,
            _least(self.won_at, other.won_at),
            _least(self.lost_at, other.lost_at),
        )

    def absorbed_into(self, survivor: str) -> LeadPatch:
        """This lead's row folded into the survivor's: everything but the score carries over."""
        return replace(
            self,
            lead_id=survivor,
            score=None,
            tier=None,
            rule_version=None,
            contributions=None,
            score_event_id=None,
            score_changed_at=None,
            score_offset=None,
            reach_offset=None,
        )


@dataclass(frozen=True, slots=True)
class IdentityRow:
    """An identity key (`kind:value`) seen on a lead's events."""

    lead_id: str
    identity: str
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One resolved event on a lead's timeline."""

    event_id: str
    lead_id: str
    type: str
    channel: str
    campaign: str | None
    occurred_at: datetime
    properties: str  # JSON text, stored as jsonb


@dataclass(frozen=True, slots=True)
class TransitionRow:
    """A promotion or demotion between tiers (a LeadPromoted or LeadDemoted, as stored): the one
    tier-change type of the lead detail's tier history and the dashboard's promotions feed."""

    transition_id: str
    lead_id: str
    kind: Literal["promoted", "demoted"]
    from_tier: str
    to_tier: str
    score: float
    rule_version: str
    reasons: list[str]
    trigger_event_id: str | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class CommunicationRow:
    """A logged sales communication; only effective ones count towards contact."""

    communication_id: str
    event_id: str
    lead_id: str
    opportunity_id: str | None
    kind: str
    owner: str | None
    is_effective: bool
    need_identified: bool
    next_step_agreed: bool
    referral_obtained: bool
    occurred_at: datetime
    next_step_due: date | None = None  # version 2: when the agreed next step is due


@dataclass(frozen=True, slots=True)
class StageChangeRow:
    """A sales-stage change as the CRM reported it; intervals are derived from these."""

    event_id: str
    opportunity_id: str
    lead_id: str | None
    stage: str
    previous_stage: str | None
    owner: str | None
    amount: float | None
    currency: str | None
    lost_reason: str | None
    occurred_at: datetime
    # Stage gates (funnel/model/gates.py): what the CRM attached (None: a version-1 change,
    # which could not say), and what the gate of the stage entered found missing (None: not judged).
    evidence: tuple[str, ...] | None = None
    approved_by: str | None = None
    gate_missing: tuple[str, ...] | None = None
    gates_version: str | None = None


@dataclass(frozen=True, slots=True)
class StageIntervalRow:
    """An opportunity's stay in one open stage and how it left (exit fields None while it
    stays): the one stage-stay type of the funnel maths, the health, busy and churn-risk checks,
    the points and the lead detail, as the projector writes it into stage_intervals.

    What the stay says comes first, in the order the lead detail shows it; then what the move
    out lacked (stage gates) and the row's keys, left at their defaults in a stay made by hand.
    """

    opportunity_id: str
    stage: str
    entered_at: datetime
    exited_at: datetime | None = None
    next_stage: str | None = None
    outcome: str | None = None  # advanced | won | lost | regressed (funnel.model.stages.Outcome)
    lost_reason: str | None = None
    owner: str | None = None
    amount: float | None = None
    currency: str | None = None
    exit_gate_missing: tuple[str, ...] | None = None  # what the move out lacked (gates)
    lead_id: str | None = None
    seq: int = 0
    entered_event_id: str = ""


@dataclass(frozen=True, slots=True)
class MergeRow:
    """A merged lead and the survivor it resolves to (chains already followed)."""

    merged_lead_id: str
    surviving_lead_id: str
    merge_id: str
    linking_identities: list[str]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class SpendRow:
    """A month's marketing spend of a channel (campaign None: not attributable to one)."""

    spend_id: str
    channel: str
    campaign: str | None
    month: str
    amount: float
    currency: str
    recorded_at: datetime
    source: str

    def is_newer_than(self, other: SpendRow) -> bool:
        """The latest posting wins; equal times go to the larger amount, then source (total)."""
        return (self.recorded_at, self.amount, self.source) > (
            other.recorded_at,
            other.amount,
            other.source,
        )


@dataclass(slots=True)
class RowChanges:
    """Everything one batch writes, keyed so that a row appears once per batch."""

    leads: dict[str, LeadPatch] = field(default_factory=dict)
    identities: dict[tuple[str, str], IdentityRow] = field(default_factory=dict)
    timeline: dict[str, TimelineRow] = field(default_factory=dict)
    transitions: dict[str, TransitionRow] = field(default_factory=dict)
    communications: dict[str, CommunicationRow] = field(default_factory=dict)
    stage_changes: dict[str, StageChangeRow] = field(default_factory=dict)
    merges: dict[str, MergeRow] = field(default_factory=dict)
    spend: dict[str, SpendRow] = field(default_factory=dict)

    def patch(self, patch: LeadPatch) -> None:
        """Fold a patch into the batch's patch for that lead."""
        known = self.leads.get(patch.lead_id)
        self.leads[patch.lead_id] = patch if known is None else known.merge(patch)

    def identity(self, row: IdentityRow) -> None:
        """Record an identity, keeping the earliest sighting."""
        key = (row.lead_id, row.identity)
        known = self.identities.get(key)
        if known is None or row.first_seen_at < known.first_seen_at:
            self.identities[key] = row

    def row_count(self) -> int:
        """Rows this batch writes (before derived stage intervals)."""
        return sum(
            len(rows)
            for rows in (
                self.leads,
                self.identities,
                self.timeline,
                self.transitions,
                self.communications,
                self.stage_changes,
                self.merges,
                self.spend,
            )
        )

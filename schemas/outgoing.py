"""Outgoing contracts sales tools code against: scores, promotions, merges, alerts, dead letters."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from schemas.events import Contract, Event


class Tier(StrEnum):
    """Lead tiers, lowest first."""

    LEAD = "lead"
    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"


class ResolvedEvent(Contract):
    """A raw event after identity resolution, keyed by the lead it belongs to."""

    lead_id: str
    event: Event


class ScoreChanged(Contract):
    """A lead's score after an event; the compacted topic keeps the latest per lead."""

    lead_id: str
    score: float
    previous_score: float
    tier: Tier
    rule_version: str
    event_id: str
    occurred_at: AwareDatetime
    contributions: dict[str, float] = Field(description="points per rule id")
    cause: Literal["event", "decay", "merge"] = Field(
        default="event", description="an event scored, a decay sweep ran, or two leads merged"
    )
    reached: dict[Tier, AwareDatetime] | None = Field(
        default=None,
        description="per tier above lead, when the lead's own timeline (its events in event"
        " time, whatever order they arrived in) first met that tier or a higher one; absent"
        " from records written before it existed (then the promotions say when)",
    )


class LeadPromoted(Contract):
    """A lead crossed a tier bar upwards; emitted once per crossing (deterministic id)."""

    kind: Literal["lead_promoted"] = "lead_promoted"
    promotion_id: str
    lead_id: str
    from_tier: Tier
    to_tier: Tier
    score: float
    rule_version: str
    reasons: list[str]
    trigger_event_id: str
    occurred_at: AwareDatetime


class LeadDemoted(Contract):
    """A lead fell below a tier bar (decay); emitted once per crossing."""

    kind: Literal["lead_demoted"] = "lead_demoted"
    demotion_id: str
    lead_id: str
    from_tier: Tier
    to_tier: Tier
    score: float
    rule_version: str
    reasons: list[str]
    occurred_at: AwareDatetime


class LeadsMerged(Contract):
    """Two leads turned out to be one person; every consumer re-points the merged lead."""

    merge_id: str
    surviving_lead_id: str
    merged_lead_id: str
    linking_identities: list[str]
    trigger_event_id: str
    occurred_at: AwareDatetime


class NurtureSuggested(Contract):
    """A lead stays under the MQL bar: suggest a content pack for email / SMS / WeCom tools."""

    suggestion_id: str
    lead_id: str
    content_pack: str
    interests: list[str]
    channels: list[Literal["email", "sms", "wecom"]]
    occurred_at: AwareDatetime


class PersonErased(Contract):
    """A person was erased (their data keys deleted): every consumer forgets these leads."""

    kind: Literal["person_erased"] = "person_erased"
    erasure_id: str
    lead_ids: list[str] = Field(min_length=1, description="the lead and every lead merged into it")
    occurred_at: AwareDatetime


class AlertKind(StrEnum):
    LEAD_STALE = "lead_stale"
    LEAD_REACTIVATED = "lead_reactivated"
    HEALTH_CHECK_FAILED = "health_check_failed"
    OWNER_NOT_ADVANCING = "owner_not_advancing"
    WEEKLY_TODOS = "weekly_todos"  # a rep's to-do list for the week (performance/model/todos.py)
    OPPORTUNITY_AT_RISK = (
        "opportunity_at_risk"  # churn risk crossed the bar (forecast/model/alerts.py)
    )


class Alert(Contract):
    """A business alert for sales managers and supervisors."""

    alert_id: str
    kind: AlertKind
    subject: str = Field(description="lead id, indicator name or owner")
    owner: str | None = None
    severity: Literal["info", "warning", "critical"] = "warning"
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    occurred_at: AwareDatetime


class DeadLetter(Contract):
    """A message that could not be processed, with the reason; nothing is dropped silently."""

    source: str = Field(description="topic or endpoint the message came from")
    partition: int | None = None
    offset: int | None = None
    reason: str
    field: str | None = Field(default=None, description="JSON pointer of the offending field")
    payload: str = Field(description="the original bytes, UTF-8 decoded with replacement")
    failed_at: AwareDatetime

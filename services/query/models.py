"""Response models of the query API: the stable, documented field names clients code against."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from funnel.model.maths import SalesCycleRow
from funnel.model.rows import StageIntervalRow, TransitionRow
from runtime.views import view
from services.vault.contact import Contact

GroupBy = Literal["channel", "campaign", "month"]


class FunnelQuery(BaseModel):
    """The filters a funnel answer was computed for."""

    from_: datetime | None = Field(default=None, alias="from", description="inclusive")
    to: datetime | None = Field(default=None, description="exclusive")
    channel: str | None = None
    campaign: str | None = None
    group_by: GroupBy | None = None

    model_config = {"populate_by_name": True}


class LostReason(BaseModel):
    reason: str
    count: int


class StageRowOut(BaseModel):
    """One sales stage over the stays that entered it in the period (days over exited stays)."""

    group: str = Field(description="'all', or the channel / campaign / month (YYYY-MM)")
    stage: str
    label_zh: str
    entered: int
    exited: int
    still_in_stage: int
    advanced: int
    won: int
    lost: int
    regressed: int
    avg_days: float | None
    median_days: float | None
    p90_days: float | None
    conversion_rate: float | None = Field(description="(advanced + won) / exited")
    top_lost_reasons: list[LostReason]


class StageTable(BaseModel):
    query: FunnelQuery
    rows: list[StageRowOut]


class TierRowOut(BaseModel):
    """Leads first seen in the period reaching each tier; rates are step to step."""

    group: str
    lead: int
    mql: int
    sql: int
    opportunity: int
    won: int
    lead_to_mql: float | None
    mql_to_sql: float | None
    sql_to_opportunity: float | None
    opportunity_to_won: float | None
    median_days_lead_to_mql: float | None
    median_days_mql_to_sql: float | None
    median_days_sql_to_opportunity: float | None
    median_days_opportunity_to_won: float | None


class TierFunnel(BaseModel):
    query: FunnelQuery
    rows: list[TierRowOut]


class SalesCycle(BaseModel):
    query: FunnelQuery
    rows: list[SalesCycleRow]


class CostsQuery(BaseModel):
    """The period and grouping a cost answer was computed for."""

    from_: datetime | None = Field(default=None, alias="from", description="inclusive")
    to: datetime | None = Field(default=None, description="exclusive")
    group_by: Literal["channel", "campaign"] = "channel"

    model_config = {"populate_by_name": True}


class CostRowOut(BaseModel):
    """A channel's (or campaign's) spend in the period beside its leads first seen in it."""

    channel: str = Field(description="first-touch channel; 'all' in the total")
    campaign: str | None = Field(description="grouped by campaign: its name, or 'unknown'")
    spend: float | None = Field(description="spend counted in the period; null: none posted")
    lead: int
    mql: int
    sql: int
    opportunity: int
    won: int
    cost_per_lead: float | None = Field(description="spend / lead; null when either is missing")
    cost_per_mql: float | None
    cost_per_sql: float | None
    cost_per_opportunity: float | None
    cost_per_won: float | None = Field(description="spend / leads of the cohort with a won deal")


class SpendMonth(BaseModel):
    """A month with spend posted and the share of it the period counts."""

    month: str
    share: float = Field(description="of the month's time inside the period, 0..1")


class ChannelCosts(BaseModel):
    query: CostsQuery
    currency: str
    time_zone: str = Field(description="the calendar months' time zone")
    months: list[SpendMonth]
    total: CostRowOut
    rows: list[CostRowOut]


class LeadSummary(BaseModel):
    lead_id: str
    tier: str
    score: float
    first_channel: str | None
    first_campaign: str | None
    owner: str | None
    first_seen_at: datetime | None
    last_activity_at: datetime | None
    last_effective_contact_at: datetime | None


class LeadPage(BaseModel):
    items: list[LeadSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


class RulePoints(BaseModel):
    rule: str
    points: float


class ScoreOut(BaseModel):
    """The lead's current score and what it is made of (latest ScoreChanged contributions)."""

    lead_id: str
    score: float
    tier: str
    rule_version: str | None
    event_id: str | None = Field(description="the event that last changed the score")
    changed_at: datetime | None
    breakdown: list[RulePoints]


class Reached(BaseModel):
    mql: datetime | None
    sql: datetime | None
    opportunity: datetime | None
    won: datetime | None
    lost: datetime | None


class Profile(BaseModel):
    tier: str
    score: float
    owner: str | None
    first_seen_at: datetime | None
    first_channel: str | None
    first_campaign: str | None
    last_activity_at: datetime | None
    last_effective_contact_at: datetime | None
    reached: Reached


class Identity(BaseModel):
    identity: str = Field(description="kind:value, e.g. wx_union:…, email:<hmac>")
    first_seen_at: datetime


TierChange = view(TransitionRow, "TierChange", omit=("lead_id",))  # the lead's own tier history


# A stay as the projector stores it, without the row's keys and the gates' findings.
StageStayOut = view(
    StageIntervalRow,
    "StageStayOut",
    omit=("exit_gate_missing", "lead_id", "seq", "entered_event_id"),
)


class CommunicationOut(BaseModel):
    communication_id: str
    kind: str
    owner: str | None
    opportunity_id: str | None
    is_effective: bool
    occurred_at: datetime


class TimelineEvent(BaseModel):
    event_id: str
    type: str
    channel: str
    campaign: str | None
    occurred_at: datetime
    properties: dict[str, object]


class LeadDetail(BaseModel):
    """Everything known about one lead; a merged lead id answers with its survivor."""

    lead_id: str
    requested_lead_id: str
    merged_lead_ids: list[str]
    profile: Profile
    identities: list[Identity]
    score: ScoreOut
    tier_history: list[TierChange]
    stage_history: list[StageStayOut]
    communications: list[CommunicationOut]
    timeline: list[TimelineEvent] = Field(description="most recent first")
    contact: Contact | None = Field(
        default=None,
        description="name, email, phone, company, job title, city (newest value of each):"
        " managers, admins and the owning rep only; absent from an analyst's answer",
    )

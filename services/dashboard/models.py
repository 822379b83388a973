"""Response models of the dashboard's own reads (documented in the query service's OpenAPI)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from funnel.model.rows import TransitionRow
from runtime.views import view

PromotionOut = view(
    TransitionRow,
    "PromotionOut",
    omit=("rule_version", "trigger_event_id"),
    doc="One tier change with the lead's first touch and owner, for the live feed.",
    first_channel=str | None,
    first_campaign=str | None,
    owner=str | None,
    current_tier=str | None,
)


class PromotionList(BaseModel):
    items: list[PromotionOut] = Field(description="newest first (event time)")


class Segment(BaseModel):
    first_channel: str | None
    first_campaign: str | None
    leads: int | None = Field(default=None, description="only with counts=true")


class FilterOptions(BaseModel):
    """What the funnel can be filtered by: first-touch channels and campaigns, months covered."""

    channels: list[str]
    campaigns: list[str]
    segments: list[Segment]
    first_seen: datetime | None
    last_seen: datetime | None


class ScorePointOut(BaseModel):
    at: datetime
    score: float
    tier: str
    event_id: str | None = Field(description="the event that moved the score; null: decay")
    event_type: str | None


class ScoreHistory(BaseModel):
    """The lead's score over time, replayed from its timeline under the running rules."""

    lead_id: str
    rule_version: str
    stored_score: float = Field(description="the score the read model holds now")
    events_replayed: int
    is_truncated: bool = Field(description="true: only the newest events were replayed")
    points: list[ScorePointOut]

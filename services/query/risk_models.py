"""Response models of the churn-risk endpoints (docs/risk.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ReasonOut(BaseModel):
    feature: str
    value: float = Field(description="the feature's value for this deal")
    contribution: float = Field(description="its share of the log-odds: coefficient × z-score")
    text: str


class OpportunityRiskOut(BaseModel):
    opportunity_id: str
    lead_id: str | None
    owner: str | None = Field(description="the lead's owner")
    stage: str
    days_in_stage: float
    stage_median_days: float
    risk: float = Field(description="probability of being lost within the model's horizon")
    at_risk: bool = Field(description="risk at or above LEADFUNNEL_RISK_ALERT_BAR")
    reasons: list[ReasonOut] = Field(description="the features raising the risk most")
    features: dict[str, float]


class RiskPage(BaseModel):
    """Open opportunities by risk, riskiest first, scored with the newest model."""

    as_of: datetime
    model_version: str | None = Field(description="null: no model trained yet")
    horizon_days: float | None
    bar: float
    items: list[OpportunityRiskOut]

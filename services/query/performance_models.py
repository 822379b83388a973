"""Response models of the rep performance endpoints (docs/metrics.md, "Rep points" and "KPI")."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RuleOut(BaseModel):
    rule_id: str
    description: str
    points: float
    activities: int = Field(description="activities that earned this rule's points")


class KpiOut(BaseModel):
    kpi: float = Field(description="0..100: 60 % results, 40 % process (the points file's weights)")
    results: float = Field(description="0..1: won amount and conversion")
    process: float = Field(description="0..1: points, stage updates on time, new customers")
    measures: dict[str, float] = Field(description="each 0..1, scaled within the team")
    facts: dict[str, float] = Field(description="the month's raw figures behind the measures")


class TrendOut(BaseModel):
    month: str
    points: float
    rank: int | None
    kpi: float | None


class RepPointsOut(BaseModel):
    """A rep's month: points per rule, KPI, rank in the team, streak and trend."""

    owner: str
    team: str
    month: str
    rules_version: str
    points: float
    breakdown: list[RuleOut]
    rank: int | None
    team_size: int
    kpi: KpiOut | None
    top: int = Field(description="'the top N' the streak counts")
    top_streak: int = Field(description="months in a row, ending with this one, in the top N")
    in_top_streak: bool = Field(description="top N for streak_months months in a row")
    trend: list[TrendOut] = Field(description="oldest first, this month last")


class LeaderRow(KpiOut):
    rank: int
    owner: str
    points: float
    top_streak: int
    in_top_streak: bool


class LeaderboardOut(BaseModel):
    team: str
    month: str
    rules_version: str
    top: int
    streak_months: int
    points: float = Field(description="the team's points this month, every rep of it")
    points_by_rule: dict[str, float] = Field(description="the team's points per rule")
    reps: list[LeaderRow] = Field(description="best first")


class TeamOut(BaseModel):
    team: str
    reps: list[str]


class TeamsOut(BaseModel):
    rules_version: str
    default_team: str
    teams: list[TeamOut] = Field(description="empty for a rep token")
    rep: str | None = Field(default=None, description="a rep token's own owner name")

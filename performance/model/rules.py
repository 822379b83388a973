"""The points file: YAML in, a validated, frozen, versioned PointsRules out (or a PointsError)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_POINTS_PATH = Path(__file__).parents[1] / "default_points.yaml"
Outcome = Literal["advanced", "won", "lost", "regressed"]
# What each event type's conditions may name (docs/metrics.md, "Rep points").
FACTS: dict[str, frozenset[str]] = {
    "communication_logged": frozenset({"effective", "minutes_uploaded", "kind"}),
    "sales_stage_changed": frozenset({"outcome"}),
    "feedback_given": frozenset({"score_at_most", "score_at_least"}),
}


class PointsError(ValueError):
    """A points file that cannot be used; the message names the file, the rule and the field."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class When(Frozen):
    """A rule's conditions; every one given must hold."""

    effective: bool | None = None
    minutes_uploaded: bool | None = None
    kind: tuple[str, ...] | None = None
    outcome: tuple[Outcome, ...] | None = None
    score_at_most: int | None = Field(default=None, ge=0, le=10)
    score_at_least: int | None = Field(default=None, ge=0, le=10)

    @property
    def named(self) -> frozenset[str]:
        """The conditions this rule sets."""
        return frozenset(name for name, value in self if value is not None)


class PointsRule(Frozen):
    """Points for one kind of activity, awarded to its owner."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    description: str = ""
    event: Literal["communication_logged", "sales_stage_changed", "feedback_given"]
    when: When = When()
    points: float

    @model_validator(mode="after")
    def _conditions_fit_the_event(self) -> Self:
        if unknown := sorted(self.when.named - FACTS[self.event]):
            allowed = ", ".join(sorted(FACTS[self.event]))
            raise ValueError(f"{self.event} has no {', '.join(unknown)} (it has: {allowed})")
        return self


class Weights(Frozen):
    """Weights of the measures inside one part of the KPI; they must add up to 1."""

    @model_validator(mode="after")
    def _sum_to_one(self) -> Self:
        total = sum(float(value) for _, value in self)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"weights add up to {total:g}, not 1")
        return self


class ResultWeights(Weights):
    won_amount: float = Field(default=0.5, ge=0, le=1)
    conversion: float = Field(default=0.5, ge=0, le=1)


class ProcessWeights(Weights):
    points: float = Field(default=0.5, ge=0, le=1)
    on_time: float = Field(default=0.25, ge=0, le=1)
    new_customers: float = Field(default=0.25, ge=0, le=1)


class KpiPolicy(Frozen):
    """How results and process make up the KPI, and what 'top' means."""

    results_weight: float = Field(default=0.6, ge=0, le=1)
    process_weight: float = Field(default=0.4, ge=0, le=1)
    results: ResultWeights = ResultWeights()
    process: ProcessWeights = ProcessWeights()
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    top: int = Field(default=3, ge=1)
    streak_months: int = Field(default=3, ge=1, le=24)

    @model_validator(mode="after")
    def _parts_sum_to_one(self) -> Self:
        if abs(self.results_weight + self.process_weight - 1.0) > 1e-9:
            raise ValueError("results_weight and process_weight must add up to 1")
        return self


class PointsRules(Frozen):
    """A validated points file; `version` is stamped on every award."""

    version: str = Field(min_length=1, max_length=64)
    description: str = ""
    teams: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    default_team: str = Field(default="unassigned", min_length=1)
    rules: tuple[PointsRule, ...]
    kpi: KpiPolicy = KpiPolicy()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [rule.id for rule in self.rules]
        if duplicate := next((i for i in ids if ids.count(i) > 1), None):
            raise ValueError(f"rule {duplicate!r} is defined twice")
        members = [owner for team in self.teams.values() for owner in team]
        if twice := next((o for o in members if members.count(o) > 1), None):
            raise ValueError(f"rep {twice!r} is in two teams")
        return self

    @cached_property
    def team_by_owner(self) -> dict[str, str]:
        """Each listed rep's team."""
        return {owner: team for team, owners in self.teams.items() for owner in owners}

    def team_of(self, owner: str) -> str:
        """The team of a rep; reps listed nowhere are in the default team."""
        return self.team_by_owner.get(owner, self.default_team)

    def rules_for(self, event_type: str) -> tuple[PointsRule, ...]:
        """The rules of one event type, in file order."""
        return tuple(rule for rule in self.rules if rule.event == event_type)


def parse_points(text: str, source: str = "<string>") -> PointsRules:
    """Validate points YAML; a PointsError names the source and the offending field."""
    try:
        data = yaml.safe_load(text)
        return PointsRules.model_validate(data)
    except yaml.YAMLError as error:
        raise PointsError(f"{source}: not YAML: {error}") from error
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "(file)"
        raise PointsError(f"{source}: {where}: {first['msg']}") from error


def default_points_text() -> str:
    """The shipped points file's text."""
    return DEFAULT_POINTS_PATH.read_text(encoding="utf-8")


def load_points(path: str | Path = "") -> PointsRules:
    """The points file at `path` (empty: the shipped default_points.yaml)."""
    file = Path(path) if path else DEFAULT_POINTS_PATH
    return parse_points(file.read_text(encoding="utf-8"), str(file))

"""The scoring rules file: YAML in, a validated, frozen, versioned RuleSet out (or a RulesError)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveFloat,
    ValidationError,
    model_validator,
)

from schemas.events import EVENT_TYPES
from schemas.outgoing import Tier
from scoring.model.criteria import (
    RANK,
    TIER_ORDER,
    Check,
    Compare,
    Expr,
    compile_expr,
    names,
    parse,
)
from scoring.model.nurture import NurturePolicy
from scoring.model.rule import Cap, Rule

__all__ = [
    "Cap",
    "Limits",
    "Rule",
    "RuleSet",
    "RulesError",
    "default_rules",
    "load_rules",
    "parse_rules",
]

DEFAULT_RULES_PATH = Path(__file__).parents[1] / "default_rules.yaml"


Test = Callable[[BaseModel], bool]  # a compiled rule condition on an event's properties


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the rule and the field."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Decay(Frozen):
    half_life_days: PositiveFloat | None = None


class Limits(Frozen):
    """Bounds that keep a lead's state small; they are part of the version (they change scores)."""

    max_lateness_days: PositiveFloat = 30.0
    max_seen_events: int = Field(default=2000, ge=10)
    recent_contributions: int = Field(default=20, ge=0)
    max_interests: int = Field(default=50, ge=1)


class TierCriteria(Frozen):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    when: str
    expr: Expr


def _criteria(value: Any) -> Any:
    return {"when": value, "expr": parse(value)} if isinstance(value, str) else value


class RuleSet(Frozen):
    """A validated rules file; `version` is stamped on every score and promotion."""

    version: str = Field(min_length=1, max_length=64)
    description: str = ""
    decay: Decay = Decay()
    limits: Limits = Limits()
    rules: tuple[Rule, ...]
    tiers: dict[Tier, Annotated[TierCriteria, BeforeValidator(_criteria)]]
    nurture: NurturePolicy = NurturePolicy()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [rule.id for rule in self.rules]
        if duplicate := next((i for i in ids if ids.count(i) > 1), None):
            raise ValueError(f"rule {duplicate!r} is defined twice")
        if clash := next((i for i in ids if i in EVENT_TYPES), None):
            raise ValueError(f"rule {clash!r}: an id must not be an event type (counts clash)")
        for tier, criteria in self.tiers.items():
            _check_tier(tier, criteria.expr, {"score", "tier", *ids, *EVENT_TYPES})
        return self

    @cached_property
    def half_lives(self) -> dict[str, float | None]:
        """Each rule's effective half-life in days (its own, else the global one, else none)."""
        default = self.decay.half_life_days
        return {r.id: (r.half_life_days or default) if r.decays else None for r in self.rules}

    @cached_property
    def by_id(self) -> dict[str, Rule]:
        """Rules by id."""
        return {rule.id: rule for rule in self.rules}

    @cached_property
    def by_event(self) -> dict[str, tuple[Rule, ...]]:
        """The rules that listen to each event type, in file order."""
        return {
            e: tuple(r for r in self.rules if r.event == e) for e in {r.event for r in self.rules}
        }

    def rules_for(self, event_type: str) -> tuple[Rule, ...]:
        """The rules that listen to an event type, in file order."""
        return self.by_event.get(event_type, ())

    @cached_property
    def tests_by_event(self) -> dict[str, tuple[tuple[Rule, tuple[Test, ...]], ...]]:
        """Per event type, each listening rule with its conditions as compiled tests."""
        return {
            event: tuple((rule, tuple(c.test() for c in rule.where)) for rule in listeners)
            for event, listeners in self.by_event.items()
        }

    def matching(self, event_type: str, properties: BaseModel) -> list[Rule]:
        """The rules an event scores under, in file order (`Rule.matches`, compiled)."""
        found = []
        for rule, tests in self.tests_by_event.get(event_type, ()):
            for test in tests:
                if not test(properties):
                    break
            else:
                found.append(rule)
        return found

    @cached_property
    def tier_checks(self) -> tuple[tuple[Tier, Check], ...]:
        """Each tier above `lead` with its compiled criteria, lowest first."""
        return tuple(
            (tier, compile_expr(self.tiers[tier].expr))
            for tier in TIER_ORDER[1:]
            if tier in self.tiers
        )


def _check_tier(tier: Tier, expr: Expr, known: set[str]) -> None:
    if tier is Tier.LEAD:
        raise ValueError("tiers: 'lead' is the starting tier and takes no criteria")
    if unknown := sorted(names(expr) - known):
        hint = "use score, tier, an event type or a rule id"
        raise ValueError(f"tiers.{tier}: unknown name {unknown[0]!r} ({hint})")
    if _reads_tier_at_or_above(expr, tier):
        raise ValueError(f"tiers.{tier}: may only compare tier with lower tiers")


def _reads_tier_at_or_above(expr: Expr, tier: Tier) -> bool:
    if isinstance(expr, Compare):
        return expr.name == "tier" and expr.value >= RANK[tier]
    return any(_reads_tier_at_or_above(part, tier) for part in expr.parts)


def _detail(error: ValidationError) -> str:
    def one(item: Any) -> str:
        where = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message

    return "; ".join(one(item) for item in error.errors())


def _rule(entry: Any, number: int, source: str) -> Rule:
    name = entry.get("id") if isinstance(entry, dict) else None
    try:
        return Rule.model_validate(entry)
    except ValidationError as error:
        raise RulesError(f"{source}: rule {name!r} (#{number}): {_detail(error)}") from None


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Validate a rules document; raises RulesError naming the rule and field at fault."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RulesError(f"{source}: not valid YAML: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesError(f"{source}: expected a mapping with a 'rules' list")
    rules = [_rule(entry, number, source) for number, entry in enumerate(data["rules"], 1)]
    try:
        return RuleSet.model_validate({**data, "rules": rules})
    except ValidationError as error:
        raise RulesError(f"{source}: {_detail(error)}") from None


def load_rules(path: str | Path) -> RuleSet:
    """Read and validate a rules file."""
    return parse_rules(Path(path).read_text(encoding="utf-8"), source=str(path))


def default_rules() -> RuleSet:
    """The shipped rule set (scoring/default_rules.yaml), encoding the source article's examples."""
    return load_rules(DEFAULT_RULES_PATH)

"""Why is this lead at 87? Per-rule breakdown, tier reasons and recent contributing events."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from schemas.outgoing import Tier
from scoring.model.clock import decay, from_us
from scoring.model.crossings import evaluate
from scoring.model.rules import RuleSet
from scoring.model.state import LeadState


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleLine(Frozen):
    """One rule's share of the score: points now (after decay) and how many events it took."""

    rule_id: str
    description: str
    points_now: float
    matched: int
    scored: int


class RecentLine(Frozen):
    """One contributing event: the points it earned and what they are worth now."""

    event_id: str
    event_type: str
    rule_id: str
    occurred_at: datetime
    points: float
    points_now: float


class Explanation(Frozen):
    """The answer to "why is this lead at this score and tier"."""

    lead_id: str
    score: float
    tier: Tier
    rule_version: str
    as_of: datetime | None
    tier_reasons: tuple[str, ...]
    rules: tuple[RuleLine, ...]
    recent: tuple[RecentLine, ...]
    counts: dict[str, int]
    merged_from: tuple[str, ...]


def explain(state: LeadState, rules: RuleSet) -> Explanation:
    """Explain a lead's score and tier from its state (rules give descriptions and decay)."""
    matched = state.rule_counts
    lines = [
        RuleLine(
            rule_id=rule_id,
            description=rules.by_id[rule_id].description if rule_id in rules.by_id else "",
            points_now=round(state.contributions.get(rule_id, 0.0), 2),
            matched=matched.get(rule_id, 0),
            scored=state.rule_scored.get(rule_id, 0),
        )
        for rule_id in sorted({*state.contributions, *matched})
    ]
    lines.sort(key=lambda line: (-abs(line.points_now), line.rule_id))
    as_of = state.as_of_us or 0
    recent = tuple(
        RecentLine(
            event_id=c.event_id,
            event_type=c.event_type,
            rule_id=c.rule_id,
            occurred_at=from_us(c.at_us),
            points=c.points,
            points_now=round(c.points * decay(as_of - c.at_us, rules.half_lives.get(c.rule_id)), 2),
        )
        for c in state.recent
    )
    return Explanation(
        lead_id=state.lead_id,
        score=state.score,
        tier=state.tier,
        rule_version=state.rule_version,
        as_of=None if state.as_of_us is None else from_us(state.as_of_us),
        tier_reasons=evaluate(state, rules)[1],
        rules=tuple(lines),
        recent=recent,
        counts=dict(sorted(state.counts().items())),
        merged_from=state.merged_from,
    )


def explain_text(explanation: Explanation) -> str:
    """The explanation as plain text, for logs, bots and `make` targets."""
    e = explanation
    as_of = "never" if e.as_of is None else e.as_of.isoformat()
    out = [
        f"{e.lead_id} is at {e.score:.2f} ({e.tier.value}, rules {e.rule_version}, as of {as_of})"
    ]
    if e.tier_reasons:
        out.append(f"{e.tier.value} because: {' and '.join(e.tier_reasons)}")
    out.append("by rule:")
    out += [
        f"  {line.rule_id:<28} {line.points_now:+8.2f}  ({line.scored} scored of {line.matched})"
        for line in e.rules
    ]
    out.append("recent contributions:")
    out += [
        f"  {r.occurred_at.isoformat()}  {r.event_type:<20} {r.event_id}  {r.rule_id} "
        f"{r.points:+g} (now {r.points_now:+.2f})"
        for r in e.recent
    ]
    return "\n".join(out)

"""The fold's event step as it was before the one-pass `ledger.accept`: advance, record, then
score rule by rule, one state copy per step (and the reach times of scoring/model/reach.py). Kept as
the reference the property tests compare the fast path with (same states byte for byte, same
emissions)."""

from __future__ import annotations

from schemas.events import Event
from scoring.model.bounds import prune
from scoring.model.crossings import settle
from scoring.model.engine import Admission, Emitted, admit
from scoring.model.ledger import _bump, _fit, _interest, _plus, _recent, advance, event_us, total
from scoring.model.reach import extend
from scoring.model.rules import Rule, RuleSet
from scoring.model.state import Contribution, LeadState, replace


def record(state: LeadState, event: Event, at_us: int, matched: list[Rule]) -> LeadState:
    first, last = state.first_activity_us, state.last_activity_us
    is_latest = last is None or (at_us, event.event_id) >= (last, state.last_event_id or "")
    interest = _interest(event)
    effect = (event.type, interest or "", tuple(rule.id for rule in matched))
    return replace(
        state,
        seen={**state.seen, event.event_id: at_us},
        effects={**state.effects, event.event_id: effect},
        event_counts=_bump(state.event_counts, event.type),
        interests=_bump(state.interests, interest),
        first_activity_us=at_us if first is None else min(first, at_us),
        last_activity_us=at_us if last is None else max(last, at_us),
        last_event_id=event.event_id if is_latest else state.last_event_id,
        clock_us=at_us if state.clock_us is None else max(state.clock_us, at_us),
    )


def score(state: LeadState, rule: Rule, event: Event, at_us: int, rules: RuleSet) -> LeadState:
    entry = (at_us, event.event_id)
    windows, pushed_out = _fit(state.windows, rule, entry)
    update: dict[str, object] = {
        "rule_counts": _bump(state.rule_counts, rule.id),
        "windows": windows,
    }
    if entry in pushed_out:
        return replace(state, **update)
    as_of = state.as_of_us if state.as_of_us is not None else at_us
    contributions = _plus(state.contributions, rule.id, rule.points, at_us, as_of, rules)
    for other_us, _ in pushed_out:
        contributions = _plus(contributions, rule.id, -rule.points, other_us, as_of, rules)
    earned = Contribution(
        event_id=event.event_id,
        rule_id=rule.id,
        event_type=event.type,
        points=rule.points,
        at_us=at_us,
    )
    dropped = {(event_id, rule.id) for _, event_id in pushed_out}
    update |= {
        "contributions": contributions,
        "score": total(contributions),
        "rule_scored": _bump(state.rule_scored, rule.id, 1 - len(pushed_out)),
        "recent": _recent(state.recent, earned, dropped, rules.limits.recent_contributions),
    }
    return replace(state, **update)


def apply(state: LeadState, event: Event, rules: RuleSet) -> tuple[LeadState, list[Emitted]]:
    """`engine.apply` with the step-by-step event step."""
    if admit(state, event, rules) is not Admission.ACCEPTED:
        return state, []
    at_us = event_us(event)
    matched = [r for r in rules.rules_for(event.type) if r.matches(event.type, event.properties)]
    after = record(advance(state, at_us, rules), event, at_us, matched)
    for rule in matched:
        after = score(after, rule, event, at_us, rules)
    after = replace(after, reached=extend(state, after, event.event_id, at_us, rules))
    after = prune(after, rules)
    return settle(state, after, rules, "event", event.event_id, event.occurred_at)

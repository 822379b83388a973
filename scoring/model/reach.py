"""When a lead's own timeline first met each tier: event time, whatever order events arrived in.

Promotions are decisions taken in processing order (docs/scoring.md): a late event can make the
worker promote a lead whose timeline, once that event is in, never stood above the bar — or miss
a crossing its timeline had. The funnel counts the timeline (docs/metrics.md, "Tier funnel"), so
the state keeps `reached`: per tier, the earliest event time at which the lead's events up to and
including that one (events ordered by time, then id), valued at that moment, met that tier or a
higher one.

An event in order extends the timeline by one point. A late event changes every point from its
own time on: those are re-valued from the state itself (each accepted event's effects are kept
for the lateness horizon), newest first, taking the newer events back out one at a time. A merge
makes one timeline of two leads' events and re-values it the same way.
"""

from __future__ import annotations

from schemas.outgoing import Tier
from scoring.model.clock import decay
from scoring.model.criteria import RANK, TIER_ORDER
from scoring.model.crossings import evaluate
from scoring.model.ledger import forget, total
from scoring.model.rules import RuleSet
from scoring.model.state import LeadState, replace

_RANKED = tuple(tier for tier in TIER_ORDER if RANK[tier] > 0)  # MQL, SQL, Opportunity


def met(state: LeadState, at_us: int, rules: RuleSet) -> Tier:
    """The highest tier the state meets when its contributions are valued at `at_us`."""
    as_of = state.as_of_us
    if as_of is None or as_of == at_us:
        return evaluate(state, rules)[0]
    half_lives = rules.half_lives
    contributions = {
        rule_id: points / decay(as_of - at_us, half_lives.get(rule_id))
        for rule_id, points in state.contributions.items()
    }
    return evaluate(replace(state, score=total(contributions)), rules)[0]


def _with(reached: dict[Tier, int], tier: Tier, at_us: int) -> dict[Tier, int]:
    """`reached` with `tier` and every tier below it met at `at_us` unless met earlier."""
    missing = [t for t in _RANKED if RANK[t] <= RANK[tier] and t not in reached]
    if not missing:
        return reached
    return {**reached, **dict.fromkeys(missing, at_us)}


def extend(
    before: LeadState,
    after: LeadState,
    event_id: str,
    at_us: int,
    rules: RuleSet,
    tier_now: Tier | None = None,
) -> dict[Tier, int]:
    """`reached` once an accepted event is folded in (`after` is `accept`'s result, unpruned);
    `tier_now`, when the caller has it, is `evaluate(after)` (saves evaluating twice)."""
    last = before.last_activity_us
    if last is None or (at_us, event_id) >= (last, before.last_event_id or ""):
        in_time = tier_now if tier_now is not None and after.as_of_us == at_us else None
        return _with(before.reached, in_time or met(after, at_us, rules), at_us)
    return _refold(before.reached, after, at_us, rules)


def _refold(
    reached: dict[Tier, int], after: LeadState, from_us: int, rules: RuleSet
) -> dict[Tier, int]:
    """Reach times from `from_us` on, re-valued over the timeline's points, newest first."""
    kept = {tier: us for tier, us in reached.items() if us < from_us}
    points = sorted(
        ((us, event_id) for event_id, us in after.seen.items() if us >= from_us),
        reverse=True,
    )
    found: dict[Tier, int] = {}
    state = after
    for n, (us, _) in enumerate(points):
        if n:  # take the newer point's event back out: the state as of this point
            state = forget(state, {points[n - 1][1]}, rules)
        tier = met(state, us, rules)
        found |= {t: us for t in _RANKED if RANK[t] <= RANK[tier]}
    return {**{t: us for t, us in found.items() if t not in kept}, **kept}


def _earlier(a: dict[Tier, int], b: dict[Tier, int]) -> dict[Tier, int]:
    times = ((t, [us for us in (a.get(t), b.get(t)) if us is not None]) for t in _RANKED)
    return {t: min(found) for t, found in times if found}


def joined(
    survivor: LeadState, merged: LeadState, combined: LeadState, rules: RuleSet
) -> dict[Tier, int]:
    """Reach times of two leads found to be one person: their events form one timeline, so its
    points are re-valued from the earliest event either still holds; before that, the earlier
    of the two leads' own times stands (those events' effects are gone with the horizon)."""
    times = combined.seen.values()
    earlier = _earlier(survivor.reached, merged.reached)
    return _refold(earlier, combined, min(times), rules) if times else earlier

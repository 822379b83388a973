"""Combining two leads' states when identity resolution finds they are one person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from scoring.model.bounds import prune
from scoring.model.criteria import RANK
from scoring.model.ledger import advance, forget, take_back, total
from scoring.model.rules import RuleSet
from scoring.model.state import Contribution, LeadState, replace

N = TypeVar("N", int, float)


def _summed(a: Mapping[str, N], b: Mapping[str, N]) -> dict[str, N]:
    summed = dict(a)
    for key, value in b.items():
        summed[key] = summed[key] + value if key in summed else value
    return dict(sorted(summed.items()))


def _earliest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _recent(a: LeadState, b: LeadState, limit: int) -> tuple[Contribution, ...]:
    both = sorted({*a.recent, *b.recent}, key=Contribution.sort_key, reverse=True)
    return tuple(both[:limit])


def _last_event(a: LeadState, b: LeadState) -> tuple[int | None, str | None]:
    ours, theirs = (a.last_activity_us, a.last_event_id), (b.last_activity_us, b.last_event_id)
    if theirs[0] is None or (ours[0] is not None and (ours[0], ours[1] or "") >= theirs):
        return ours
    return theirs


def _refit_windows(state: LeadState, merged: LeadState, rules: RuleSet) -> LeadState:
    """Union both leads' cap windows; where a window overflows, the earliest events keep scoring."""
    windows = dict(state.windows)
    for key, theirs in sorted(merged.windows.items()):
        rule = rules.by_id.get(key.rpartition("@")[0])
        entries = sorted({*windows.get(key, ()), *theirs})
        limit = len(entries) if rule is None or rule.cap is None else rule.cap.max_events
        windows[key] = tuple(entries[:limit])
        state = replace(state, windows=windows)
        if rule is not None:
            state = take_back(state, rule, entries[limit:], rules)
    return state


def combine(survivor: LeadState, merged: LeadState, rules: RuleSet) -> LeadState:
    """The survivor's state as if it had seen the merged lead's events too (within the bounds)."""
    as_of = _latest(survivor.as_of_us, merged.as_of_us)
    a = survivor if as_of is None else advance(survivor, as_of, rules)
    b = merged if as_of is None else advance(merged, as_of, rules)
    b = forget(b, a.seen.keys() & b.seen.keys(), rules)  # both applied them: count them once
    contributions = _summed(a.contributions, b.contributions)
    last_us, last_id = _last_event(a, b)
    tier = max(a.tier, b.tier, key=RANK.__getitem__)
    state = replace(
        a,
        tier=tier,
        tier_since_us=a.tier_since_us if tier == a.tier else b.tier_since_us,
        contributions=contributions,
        score=total(contributions),
        clock_us=_latest(a.clock_us, b.clock_us),
        floor_us=_latest(a.floor_us, b.floor_us),
        event_counts=_summed(a.event_counts, b.event_counts),
        rule_counts=_summed(a.rule_counts, b.rule_counts),
        rule_scored=_summed(a.rule_scored, b.rule_scored),
        seen=dict(sorted({**a.seen, **b.seen}.items())),
        effects=dict(sorted({**b.effects, **a.effects}.items())),
        recent=_recent(a, b, rules.limits.recent_contributions),
        interests=_summed(a.interests, b.interests),
        first_activity_us=_earliest(a.first_activity_us, b.first_activity_us),
        last_activity_us=last_us,
        last_event_id=last_id,
        merged_from=tuple(sorted({*a.merged_from, merged.lead_id, *b.merged_from})),
    )
    return prune(_refit_windows(state, b, rules), rules)

"""Bounds on a lead's state: what can no longer matter is forgotten, deterministically."""

from __future__ import annotations

from scoring.model.clock import DAY_US
from scoring.model.rules import RuleSet
from scoring.model.state import LeadState, replace

HOUR_US = DAY_US // 24


def _raised_floor(state: LeadState, limit: int) -> int | None:
    """Past the limit, forget the oldest tenth of seen ids at once (and drop anything older)."""
    if len(state.seen) <= limit:
        return state.floor_us
    by_age = sorted((at_us, event_id) for event_id, at_us in state.seen.items())
    evicted_up_to = by_age[len(state.seen) - (limit - limit // 10) - 1][0]
    return evicted_up_to if state.floor_us is None else max(state.floor_us, evicted_up_to)


def _window_open(key: str, watermark_us: int, rules: RuleSet) -> bool:
    rule_id, _, window = key.rpartition("@")
    rule = rules.by_id.get(rule_id)
    if rule is None or rule.cap is None:
        return False
    end = rule.cap.window_end_us(int(window))
    return end is None or end > watermark_us


def _top_interests(interests: dict[str, int], limit: int) -> dict[str, int]:
    if len(interests) <= limit:
        return interests
    ranked = sorted(interests.items(), key=lambda item: (-item[1], item[0]))
    return dict(ranked[:limit])


def prune(state: LeadState, rules: RuleSet) -> LeadState:
    """Drop dedupe ids and cap windows at or below the watermark; keep the top interests.

    The scan runs when the watermark has moved an hour (or the seen-id bound was hit), so a busy
    lead pays for it once an hour of event time rather than on every event.
    """
    limits = rules.limits
    interests = _top_interests(state.interests, limits.max_interests)
    floor = _raised_floor(state, limits.max_seen_events)
    is_evicting = floor != state.floor_us
    state = replace(state, floor_us=floor, interests=interests)
    watermark = state.watermark_us(limits.max_lateness_days)
    last = state.pruned_us
    if watermark is None or (last is not None and watermark - last < HOUR_US and not is_evicting):
        return state
    return replace(
        state,
        pruned_us=watermark,
        seen={event_id: at for event_id, at in state.seen.items() if at > watermark},
        effects={
            event_id: effect
            for event_id, effect in state.effects.items()
            if state.seen.get(event_id, watermark) > watermark
        },
        windows={k: v for k, v in state.windows.items() if _window_open(k, watermark, rules)},
    )

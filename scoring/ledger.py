"""State transitions of the fold: decay to a time, record an event, score it, prune the bounds."""

from __future__ import annotations

from urllib.parse import urlsplit

from schemas.events import AssetDownloadedEvent, Event, PageViewedEvent, VideoWatchedEvent
from scoring.clock import decay, to_us
from scoring.rules import Rule, RuleSet
from scoring.state import Contribution, LeadState

_TINY = 1e-9  # float residue left when a displaced contribution is taken back out


def event_us(event: Event) -> int:
    """An event's scoring time: when it happened, but never later than ingest received it."""
    return to_us(min(event.occurred_at, event.received_at))


def total(contributions: dict[str, float]) -> float:
    """The displayed score: the sum in rule-id order, rounded to hundredths."""
    return round(sum(contributions[rule_id] for rule_id in sorted(contributions)), 2) + 0.0


def _snap(value: float) -> float:
    return 0.0 if abs(value) < _TINY else value


def advance(state: LeadState, at_us: int, rules: RuleSet) -> LeadState:
    """Value the contributions as of a later time; an earlier time changes nothing."""
    if state.as_of_us is not None and at_us <= state.as_of_us:
        return state
    elapsed = 0 if state.as_of_us is None else at_us - state.as_of_us
    contributions = {
        rule_id: _snap(points * decay(elapsed, rules.half_lives.get(rule_id)))
        for rule_id, points in state.contributions.items()
    }
    return state.model_copy(
        update={"as_of_us": at_us, "contributions": contributions, "score": total(contributions)}
    )


def add_points(
    state: LeadState, rule_id: str, points: float, at_us: int, rules: RuleSet
) -> LeadState:
    """Add (or with negative points, take out) points earned at `at_us`, valued at `as_of_us`."""
    as_of = state.as_of_us if state.as_of_us is not None else at_us
    worth = points * decay(as_of - at_us, rules.half_lives.get(rule_id))
    contributions = {**state.contributions}
    contributions[rule_id] = _snap(contributions.get(rule_id, 0.0) + worth)
    return state.model_copy(update={"contributions": contributions, "score": total(contributions)})


def _interest(event: Event) -> str | None:
    match event:
        case AssetDownloadedEvent(properties=properties):
            return f"asset:{properties.asset_kind.value}"
        case PageViewedEvent(properties=properties):
            section = urlsplit(properties.url).path.strip("/").split("/")[0].lower()
            return f"page:{section or 'home'}"
        case VideoWatchedEvent():
            return "video"
        case _:
            return None


def _bump(counts: dict[str, int], key: str | None, by: int = 1) -> dict[str, int]:
    return counts if key is None else {**counts, key: counts.get(key, 0) + by}


def record(state: LeadState, event: Event, at_us: int) -> LeadState:
    """Note an accepted event: dedupe entry, behaviour count, interest, activity times."""
    first, last = state.first_activity_us, state.last_activity_us
    is_latest = last is None or (at_us, event.event_id) >= (last, state.last_event_id or "")
    return state.model_copy(
        update={
            "seen": {**state.seen, event.event_id: at_us},
            "event_counts": _bump(state.event_counts, event.type),
            "interests": _bump(state.interests, _interest(event)),
            "first_activity_us": at_us if first is None else min(first, at_us),
            "last_activity_us": at_us if last is None else max(last, at_us),
            "last_event_id": event.event_id if is_latest else state.last_event_id,
            "clock_us": at_us if state.clock_us is None else max(state.clock_us, at_us),
        }
    )


def _recent(
    state: LeadState, added: Contribution | None, dropped: set[tuple[str, str]], limit: int
) -> tuple[Contribution, ...]:
    kept = [c for c in state.recent if (c.event_id, c.rule_id) not in dropped]
    if added is not None and added.points != 0:
        kept.append(added)
    kept.sort(key=Contribution.sort_key, reverse=True)
    return tuple(kept[:limit])


def take_back(
    state: LeadState,
    rule: Rule,
    displaced: list[tuple[int, str]],
    rules: RuleSet,
) -> LeadState:
    """Remove the points of events a cap no longer lets score (a window kept earlier ones)."""
    if not displaced:
        return state
    for at_us, _ in displaced:
        state = add_points(state, rule.id, -rule.points, at_us, rules)
    dropped = {(event_id, rule.id) for _, event_id in displaced}
    return state.model_copy(
        update={
            "rule_scored": _bump(state.rule_scored, rule.id, -len(displaced)),
            "recent": _recent(state, None, dropped, rules.limits.recent_contributions),
        }
    )


def score(state: LeadState, rule: Rule, event: Event, at_us: int, rules: RuleSet) -> LeadState:
    """Count a rule match and add its points unless the cap's window already holds earlier ones."""
    state = state.model_copy(update={"rule_counts": _bump(state.rule_counts, rule.id)})
    entry, displaced = (at_us, event.event_id), []
    if rule.cap is not None:
        key = f"{rule.id}@{rule.cap.window(at_us)}"
        entries = sorted((*state.windows.get(key, ()), entry))
        kept, displaced = entries[: rule.cap.max_events], entries[rule.cap.max_events :]
        state = state.model_copy(update={"windows": {**state.windows, key: tuple(kept)}})
        if entry in displaced:
            return state
    state = add_points(state, rule.id, rule.points, at_us, rules)
    earned = Contribution(
        event_id=event.event_id,
        rule_id=rule.id,
        event_type=event.type,
        points=rule.points,
        at_us=at_us,
    )
    state = state.model_copy(
        update={
            "rule_scored": _bump(state.rule_scored, rule.id),
            "recent": _recent(state, earned, set(), rules.limits.recent_contributions),
        }
    )
    return take_back(state, rule, displaced, rules)

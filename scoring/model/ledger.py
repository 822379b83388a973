"""State transitions of the fold: decay to a time, record an event, score it, prune the bounds."""

from __future__ import annotations

from operator import attrgetter
from urllib.parse import urlsplit

from schemas.events import AssetDownloadedEvent, Event, PageViewedEvent, VideoWatchedEvent
from scoring.model.clock import decay, to_us
from scoring.model.rules import Rule, RuleSet
from scoring.model.state import Contribution, LeadState, replace

_NEWEST = attrgetter("at_us", "event_id", "rule_id")  # `Contribution.sort_key`, in C
_TINY = 1e-9  # float residue left when a displaced contribution is taken back out


def event_us(event: Event) -> int:
    """An event's scoring time: when it happened, but never later than ingest received it."""
    return to_us(min(event.occurred_at, event.received_at))


def total(contributions: dict[str, float]) -> float:
    """The displayed score: the sum in rule-id order, rounded to hundredths."""
    return round(sum(map(contributions.__getitem__, sorted(contributions))), 2) + 0.0


def _snap(value: float) -> float:
    return 0.0 if abs(value) < _TINY else value


def _decayed(
    contributions: dict[str, float], elapsed_us: int, half_lives: dict[str, float | None]
) -> dict[str, float]:
    """Each contribution valued `elapsed_us` later; one factor per distinct half-life (rules
    mostly share the global one), the same floats as a factor per rule."""
    factors: dict[float | None, float] = {}
    valued = {}
    for rule_id, points in contributions.items():
        life = half_lives.get(rule_id)
        factor = factors.get(life)
        if factor is None:
            factor = factors[life] = decay(elapsed_us, life)
        value = points * factor
        valued[rule_id] = 0.0 if abs(value) < _TINY else value  # `_snap`, inline
    return valued


def advance(state: LeadState, at_us: int, rules: RuleSet) -> LeadState:
    """Value the contributions as of a later time; an earlier time changes nothing."""
    if state.as_of_us is not None and at_us <= state.as_of_us:
        return state
    elapsed = 0 if state.as_of_us is None else at_us - state.as_of_us
    contributions = _decayed(state.contributions, elapsed, rules.half_lives)
    return replace(state, as_of_us=at_us, contributions=contributions, score=total(contributions))


def _plus(
    contributions: dict[str, float],
    rule_id: str,
    points: float,
    at_us: int,
    as_of_us: int,
    rules: RuleSet,
) -> dict[str, float]:
    """Contributions with points earned at `at_us` added, valued at `as_of_us` (decayed)."""
    worth = points * decay(as_of_us - at_us, rules.half_lives.get(rule_id))
    return {**contributions, rule_id: _snap(contributions.get(rule_id, 0.0) + worth)}


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
    if key is None:
        return counts
    bumped = {**counts, key: counts.get(key, 0) + by}
    if bumped[key] == 0:
        del bumped[key]  # a count taken back to nothing, as if never counted
    return bumped


def forget(state: LeadState, event_ids: set[str], rules: RuleSet) -> LeadState:
    """The state without the counts and points of events it applied (valued at `as_of_us`).

    Only what `effects` recorded can be taken out; the ids stay in `seen`, so the events still
    count as seen. An event that scored under a cap leaves that window too (the merge unites
    both leads' windows and refits them afterwards).
    """
    contributions, as_of = state.contributions, state.as_of_us or 0
    counts, matched, scored = state.event_counts, state.rule_counts, state.rule_scored
    interests, windows, dropped = state.interests, state.windows, set()
    for event_id in sorted(event_ids & state.effects.keys()):
        kind, interest, rule_ids = state.effects[event_id]
        at_us = state.seen.get(event_id, as_of)
        counts, interests = _bump(counts, kind, -1), _bump(interests, interest or None, -1)
        for rule_id in rule_ids:
            matched = _bump(matched, rule_id, -1)
            rule = rules.by_id.get(rule_id)
            if rule is None or not _is_scoring(rule, windows, (at_us, event_id)):
                continue
            contributions = _plus(contributions, rule_id, -rule.points, at_us, as_of, rules)
            scored = _bump(scored, rule_id, -1)
            dropped.add((event_id, rule_id))
            if rule.cap is not None:
                key = _window_key(rule, at_us)
                windows = {**windows, key: tuple(e for e in windows[key] if e[1] != event_id)}
    return replace(
        state,
        contributions=contributions,
        score=total(contributions),
        event_counts=counts,
        rule_counts=matched,
        rule_scored=scored,
        interests=interests,
        windows=windows,
        recent=_recent(state.recent, None, dropped, rules.limits.recent_contributions),
    )


def _window_key(rule: Rule, at_us: int) -> str:
    """The `windows` key of a capped rule's window that holds the time `at_us`."""
    assert rule.cap is not None
    return f"{rule.id}@{rule.cap.window(at_us)}"


def _is_scoring(
    rule: Rule, windows: dict[str, tuple[tuple[int, str], ...]], entry: tuple[int, str]
) -> bool:
    """Whether a matched event's points are in the score (a cap may have held them back)."""
    if rule.cap is None:
        return True
    return entry in windows.get(_window_key(rule, entry[0]), ())


def _recent(
    recent: tuple[Contribution, ...],
    added: Contribution | None,
    dropped: set[tuple[str, str]],
    limit: int,
) -> tuple[Contribution, ...]:
    """`recent` (newest first, as every state keeps it) without `dropped`, with `added` in place."""
    kept = [c for c in recent if (c.event_id, c.rule_id) not in dropped] if dropped else [*recent]
    if added is not None and added.points != 0:
        if not kept or _NEWEST(added) > _NEWEST(kept[0]):
            kept.insert(0, added)  # the usual case, the lead's newest event: no sort
        else:
            kept.append(added)
            kept.sort(key=_NEWEST, reverse=True)
    return tuple(kept[:limit])


def take_back(
    state: LeadState, rule: Rule, displaced: list[tuple[int, str]], rules: RuleSet
) -> LeadState:
    """Remove the points of events a cap no longer lets score (a window kept earlier ones)."""
    if not displaced:
        return state
    contributions, as_of = state.contributions, state.as_of_us or 0
    for at_us, _ in displaced:
        contributions = _plus(contributions, rule.id, -rule.points, at_us, as_of, rules)
    dropped = {(event_id, rule.id) for _, event_id in displaced}
    return replace(
        state,
        contributions=contributions,
        score=total(contributions),
        rule_scored=_bump(state.rule_scored, rule.id, -len(displaced)),
        recent=_recent(state.recent, None, dropped, rules.limits.recent_contributions),
    )


def _fit(
    windows: dict[str, tuple[tuple[int, str], ...]], rule: Rule, entry: tuple[int, str]
) -> tuple[dict[str, tuple[tuple[int, str], ...]], list[tuple[int, str]]]:
    """Windows with the entry placed by time, and the entries the cap pushes out (maybe it)."""
    if rule.cap is None:
        return windows, []
    key = _window_key(rule, entry[0])
    entries = sorted((*windows.get(key, ()), entry))
    kept, pushed_out = entries[: rule.cap.max_events], entries[rule.cap.max_events :]
    return {**windows, key: tuple(kept)}, pushed_out


def accept(
    state: LeadState, event: Event, at_us: int, matched: list[Rule], rules: RuleSet
) -> LeadState:
    """Fold an accepted event in: value the score as of its time, note it (dedupe entry, what it
    counts for `forget`, behaviour count, interest, activity times), count each matched rule and
    add its points unless its cap's window already holds earlier events.

    One state copy for the whole event; the result is exactly that of advancing, recording and
    scoring rule by rule (tests/unit/reference_fold.py keeps that sequence as the reference).
    """
    contributions, as_of = state.contributions, state.as_of_us
    if as_of is None or at_us > as_of:
        elapsed = 0 if as_of is None else at_us - as_of
        contributions, as_of = _decayed(contributions, elapsed, rules.half_lives), at_us
    first, last, event_id = state.first_activity_us, state.last_activity_us, event.event_id
    is_latest = last is None or (at_us, event_id) >= (last, state.last_event_id or "")
    interest = _interest(event)
    effect = (event.type, interest or "", tuple(rule.id for rule in matched))
    rule_counts, rule_scored = state.rule_counts, state.rule_scored
    windows, recent = state.windows, state.recent
    if matched:
        contributions, rule_counts = dict(contributions), dict(rule_counts)
        rule_scored, windows = dict(rule_scored), dict(windows)
    for rule in matched:
        _count(rule_counts, rule.id, 1)
        entry = (at_us, event_id)
        pushed_out = _place(windows, rule, entry)
        if entry in pushed_out:
            continue
        for other_us, points in ((at_us, rule.points), *((t, -rule.points) for t, _ in pushed_out)):
            worth = points * decay(as_of - other_us, rules.half_lives.get(rule.id))
            contributions[rule.id] = _snap(contributions.get(rule.id, 0.0) + worth)
        earned = Contribution(event_id, rule.id, event.type, rule.points, at_us)
        dropped = {(other_id, rule.id) for _, other_id in pushed_out}
        recent = _recent(recent, earned, dropped, rules.limits.recent_contributions)
        _count(rule_scored, rule.id, 1 - len(pushed_out))
    return replace(
        state,
        as_of_us=as_of,
        contributions=contributions,
        score=state.score if contributions is state.contributions else total(contributions),
        seen={**state.seen, event_id: at_us},
        effects={**state.effects, event_id: effect},
        event_counts=_bump(state.event_counts, event.type),
        interests=_bump(state.interests, interest),
        rule_counts=rule_counts,
        rule_scored=rule_scored,
        windows=windows,
        recent=recent,
        first_activity_us=at_us if first is None else min(first, at_us),
        last_activity_us=at_us if last is None else max(last, at_us),
        last_event_id=event_id if is_latest else state.last_event_id,
        clock_us=at_us if state.clock_us is None else max(state.clock_us, at_us),
    )


def _count(counts: dict[str, int], key: str, by: int) -> None:
    """`_bump` in place, on a dict this step owns."""
    total = counts.get(key, 0) + by
    if total == 0:
        counts.pop(key, None)
    else:
        counts[key] = total


def _place(
    windows: dict[str, tuple[tuple[int, str], ...]], rule: Rule, entry: tuple[int, str]
) -> list[tuple[int, str]]:
    """`_fit` in place, on a dict this step owns: the entries the cap pushes out (maybe it)."""
    if rule.cap is None:
        return []
    key = _window_key(rule, entry[0])
    entries = sorted((*windows.get(key, ()), entry))
    windows[key] = tuple(entries[: rule.cap.max_events])
    return entries[rule.cap.max_events :]

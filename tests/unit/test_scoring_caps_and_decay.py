"""Caps per window and half-life decay, on small purpose-built rule sets."""

from __future__ import annotations

import pytest

from scoring.model.engine import apply, sweep
from tests.unit.scoring_factories import at, demo, fold, form, page, rules_from

CAPPED = rules_from(
    """
decay: {half_life_days: 10}
rules:
  - {id: read, event: page_viewed, points: 2, cap: {max_events: 2, window_days: 1}}
  - {id: once, event: form_submitted, points: 5, cap: {max_events: 1}}
  - {id: demo, event: demo_requested, points: 40, decays: false}
tiers:
  mql: score >= 50
"""
)
NO_DECAY = rules_from(
    """
rules:
  - {id: read, event: page_viewed, points: 2, cap: {max_events: 2, window_days: 1}}
tiers: {}
"""
)


def test_cap_limits_scoring_events_per_window() -> None:
    state, _ = fold([page(30, when=at(hours=h)) for h in range(5)], NO_DECAY)
    assert state.score == 4 and state.rule_counts["read"] == 5 and state.rule_scored["read"] == 2


def test_cap_window_is_the_utc_day_so_the_next_day_scores_again() -> None:
    events = [page(30, when=at(hours=h)) for h in (0, 1, 2)] + [page(30, when=at(days=1))]
    assert fold(events, NO_DECAY)[0].score == 6


def test_a_late_earlier_event_takes_the_capped_slot_of_a_later_one() -> None:
    late = page(30, when=at(hours=0), event_id="early")
    state, _ = fold([page(30, when=at(hours=h)) for h in (2, 3)] + [late], NO_DECAY)
    assert state.score == 4
    assert "early" in {c.event_id for c in state.recent}
    assert state.windows and all(len(v) == 2 for v in state.windows.values())


def test_cap_without_window_counts_for_ever() -> None:
    state, _ = fold([form(when=at(days=d)) for d in (0, 3, 9)], CAPPED)
    assert state.rule_scored["once"] == 1 and state.rule_counts["once"] == 3


def test_points_halve_each_half_life_of_event_time() -> None:
    state, _ = fold([page(30), page(30, when=at(days=10))], CAPPED)
    assert state.score == pytest.approx(2 + 1, abs=0.01)


def test_rule_without_decay_keeps_its_points() -> None:
    state, _ = fold([demo()], CAPPED)
    assert sweep(state, at(days=100), CAPPED)[0].score == 40


def test_sweep_to_an_earlier_time_changes_nothing() -> None:
    state, _ = fold([page(30, when=at(days=5))], CAPPED)
    assert sweep(state, at(days=1), CAPPED) == (state, [])


def test_event_after_a_sweep_is_valued_at_the_sweep_time() -> None:
    state, _ = fold([page(30)], CAPPED)
    swept, _ = sweep(state, at(days=10), CAPPED)
    after, _ = apply(swept, page(30, when=at(days=5), event_id="mid"), CAPPED)
    assert after.score == pytest.approx(1 + 2 * 0.5**0.5, abs=0.01)


def test_seen_ids_are_bounded_and_older_duplicates_are_still_dropped() -> None:
    small = rules_from(
        """
limits: {max_seen_events: 10}
rules:
  - {id: read, event: page_viewed, points: 1}
tiers: {}
"""
    )
    events = [page(30, when=at(hours=h), event_id=f"p{h}") for h in range(30)]
    state, _ = fold(events, small)
    assert len(state.seen) <= 10 and state.floor_us is not None
    assert apply(state, events[0], small) == (state, [])

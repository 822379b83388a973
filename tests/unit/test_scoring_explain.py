"""Every score is explainable: which rules and which events produced it."""

from __future__ import annotations

import pytest

from scoring.model.explain import explain, explain_text
from scoring.model.rules import default_rules
from tests.unit.scoring_factories import at, demo, download, fold, form, page

RULES = default_rules()


def test_rule_lines_add_up_to_the_score() -> None:
    events = [page(95, "https://x.cn/pricing", when=at(days=-5)), download("price_list"), demo()]
    explanation = explain(fold(events)[0], RULES)
    assert sum(line.points_now for line in explanation.rules) == pytest.approx(
        explanation.score, abs=0.011
    )


def test_explanation_names_the_tier_reasons_and_recent_events() -> None:
    last = demo(when=at(hours=1))
    explanation = explain(fold([form(), last])[0], RULES)
    assert explanation.tier_reasons == ("demo_requested >= 1",)
    assert explanation.recent[0].event_id == last.event_id
    assert explanation.recent[0].rule_id == "demo_booked"


def test_capped_events_show_as_matched_but_not_scored() -> None:
    state, _ = fold([download("price_list", when=at(hours=h)) for h in range(4)])
    [line] = explain(state, RULES).rules
    assert (line.rule_id, line.matched, line.scored) == ("price_list_downloaded", 4, 2)


def test_text_answers_why_this_score() -> None:
    text = explain_text(explain(fold([download("price_list"), demo()], lead_id="lead_q")[0], RULES))
    assert text.startswith("lead_q is at 65.00 (sql, rules 2026.11-2")
    assert "sql because: demo_requested >= 1" in text and "price_list_downloaded" in text


def test_recent_contributions_are_bounded() -> None:
    state, _ = fold([page(30, when=at(hours=h)) for h in range(60)])
    assert len(state.recent) == RULES.limits.recent_contributions

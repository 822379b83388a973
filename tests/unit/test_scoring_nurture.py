"""Nurture suggestions for leads that stay under the MQL bar."""

from __future__ import annotations

import pytest

from scoring.model.engine import sweep, tombstone
from scoring.model.nurture import NurturePolicy, choose_pack, suggest_nurture
from scoring.model.rules import RulesError, default_rules
from scoring.model.state import replace
from tests.unit.scoring_factories import at, demo, download, fold, page, rules_from

RULES = default_rules()
POLICY = RULES.nurture


def test_lead_under_the_bar_for_two_weeks_gets_a_pack_from_its_interests() -> None:
    state, _ = fold([download("case_study"), page(30, "https://x.cn/customers/acme")])
    suggestion = suggest_nurture(state, at(days=15), POLICY)
    assert suggestion is not None
    assert suggestion.content_pack == "customer_stories"
    assert suggestion.interests == ["asset:case_study", "page:customers"]
    assert suggestion.channels == ["email", "sms", "wecom"]


def test_no_suggestion_before_the_configured_time() -> None:
    state, _ = fold([download("case_study")])
    assert suggest_nurture(state, at(days=13), POLICY) is None


def test_no_suggestion_for_a_lead_that_reached_mql() -> None:
    state, _ = fold([demo()])
    assert suggest_nurture(state, at(days=20), POLICY) is None


def test_no_suggestion_once_the_lead_has_gone_quiet() -> None:
    state, _ = fold([download("whitepaper")])
    assert suggest_nurture(state, at(days=61), POLICY) is None


def test_no_suggestion_for_a_merged_lead() -> None:
    state, _ = fold([download("whitepaper")])
    assert suggest_nurture(tombstone(state, "lead_0"), at(days=20), POLICY) is None


def test_the_suggestion_id_is_stable_within_a_period_and_new_in_the_next() -> None:
    state, _ = fold([download("whitepaper")])
    ids = [suggest_nurture(state, at(days=d), POLICY) for d in (14, 20, 29)]
    assert ids[0] and ids[1] and ids[2]
    assert ids[0].suggestion_id == ids[1].suggestion_id != ids[2].suggestion_id


def test_a_lead_demoted_by_decay_waits_from_its_demotion() -> None:
    kinds = ["price_list", "case_study", "whitepaper"]
    state, _ = fold([download(k) for k in kinds])
    demoted, _ = sweep(state, at(days=20), RULES)
    assert suggest_nurture(demoted, at(days=30), POLICY) is None
    assert suggest_nurture(demoted, at(days=34), POLICY) is not None


def test_a_lead_without_telling_interests_gets_the_default_pack() -> None:
    state, _ = fold([page(5, "https://x.cn/")])
    state = replace(state, interests={})
    assert choose_pack(state, POLICY) == "whitepapers"


def test_the_default_pack_must_be_one_of_the_packs() -> None:
    with pytest.raises(ValueError, match="default_pack 'nope'"):
        NurturePolicy(default_pack="nope")
    with pytest.raises(RulesError, match="nurture"):
        rules_from("rules: []\ntiers: {}\nnurture: {default_pack: nope}\n")

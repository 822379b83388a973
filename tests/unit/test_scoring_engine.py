"""The scoring fold on the default rules: tiers, effective communication, dedupe, late events."""

from __future__ import annotations

from schemas.outgoing import LeadDemoted, LeadPromoted, Tier
from scoring.model.clock import to_us
from scoring.model.crossings import ScoreChange
from scoring.model.engine import Admission, admit, apply, sweep, tombstone
from scoring.model.rules import default_rules
from scoring.model.state import from_json, new_lead, to_json
from tests.unit.scoring_factories import (
    at,
    communication,
    demo,
    download,
    event,
    fold,
    form,
    page,
    rules_from,
    stage,
    video,
)

RULES = default_rules()


def promotions(emitted: list[object]) -> list[LeadPromoted]:
    return [e for e in emitted if isinstance(e, LeadPromoted)]


def test_demo_request_promotes_to_sql() -> None:
    state, emitted = fold([demo()])
    assert state.tier is Tier.SQL
    [promotion] = promotions(emitted)
    assert (promotion.from_tier, promotion.to_tier) == (Tier.LEAD, Tier.SQL)
    assert promotion.reasons == ["demo_requested >= 1"]
    assert promotion.rule_version == RULES.version


def test_form_plus_two_videos_promotes_to_mql() -> None:
    state, emitted = fold([form(), video(when=at(hours=1)), video(when=at(hours=2))])
    assert state.tier is Tier.MQL and state.score < 50
    [promotion] = promotions(emitted)
    assert promotion.to_tier is Tier.MQL
    assert promotion.trigger_event_id == state.last_event_id


def test_form_plus_one_video_stays_a_lead() -> None:
    state, emitted = fold([form(), video()])
    assert state.tier is Tier.LEAD and promotions(emitted) == []


def test_score_of_fifty_promotes_to_mql_without_a_form() -> None:
    state, _ = fold([download(kind) for kind in ["price_list", "case_study", "whitepaper"]])
    assert state.tier is Tier.MQL and state.score == 50


def test_mql_with_score_eighty_promotes_to_sql() -> None:
    downloads = [download(k) for k in ["price_list", "price_list", "case_study", "whitepaper"]]
    state, emitted = fold([*downloads, form(), video(), video()])
    assert state.score >= 80 and state.tier is Tier.SQL
    assert [p.to_tier for p in promotions(emitted)] == [Tier.MQL, Tier.SQL]


def test_material_kind_weighs_price_list_over_case_study_over_whitepaper() -> None:
    scores = [
        fold([download(kind)])[0].score for kind in ["price_list", "case_study", "whitepaper"]
    ]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 3


def test_longer_dwell_scores_more() -> None:
    scores = [fold([page(dwell)])[0].score for dwell in [5, 30, 90, 400]]
    assert scores == sorted(scores) and scores[0] == 0


def test_opportunity_stage_promotes_to_opportunity() -> None:
    state, emitted = fold([stage("needs_confirmed")])
    assert state.tier is Tier.OPPORTUNITY and promotions(emitted)[0].to_tier is Tier.OPPORTUNITY


def test_first_contact_is_not_yet_an_opportunity() -> None:
    assert fold([stage("first_contact")])[0].tier is Tier.LEAD


def test_ineffective_communication_scores_nothing() -> None:
    state, emitted = fold([communication()])
    assert admit(new_lead("x"), communication(), RULES) is Admission.INEFFECTIVE
    assert state == new_lead("lead_test") and emitted == []


def test_effective_communication_scores() -> None:
    for flags in [{"need": True}, {"next_step": True}, {"referral": True}]:
        assert fold([communication(**flags)])[0].score > 0


def test_duplicate_event_id_changes_nothing() -> None:
    first = form(event_id="same")
    state, _ = fold([first])
    again, emitted = apply(state, form(event_id="same"), RULES)
    assert again is state and emitted == []
    assert admit(state, first, RULES) is Admission.DUPLICATE


def test_event_older_than_the_lateness_horizon_is_dropped() -> None:
    horizon = RULES.limits.max_lateness_days
    state, _ = fold([form(when=at(days=horizon + 10))])
    late = demo(when=at(days=5))
    assert admit(state, late, RULES) is Admission.TOO_LATE
    assert apply(state, late, RULES) == (state, [])


def test_late_event_within_the_horizon_scores_with_its_own_decay() -> None:
    in_order, _ = fold([demo(when=at(days=0)), form(when=at(days=10))])
    late_first, _ = fold([form(when=at(days=10)), demo(when=at(days=0))])
    assert late_first.score == in_order.score


def test_decay_halves_points_over_the_half_life() -> None:
    state, _ = fold([download("price_list")])
    later, emitted = sweep(state, at(days=30), RULES)
    assert later.score == 12.5
    assert [e.cause for e in emitted if isinstance(e, ScoreChange)] == ["decay"]


def test_decay_sweep_demotes_once_when_the_score_falls_below_the_bar() -> None:
    state, _ = fold([download(k) for k in ["price_list", "case_study", "whitepaper"]])
    assert state.tier is Tier.MQL
    decayed, emitted = sweep(state, at(days=20), RULES)
    [demotion] = [e for e in emitted if isinstance(e, LeadDemoted)]
    assert (demotion.from_tier, demotion.to_tier) == (Tier.MQL, Tier.LEAD)
    assert decayed.tier is Tier.LEAD
    assert [e for e in sweep(decayed, at(days=21), RULES)[1] if isinstance(e, LeadDemoted)] == []


def test_count_based_tiers_do_not_decay() -> None:
    state, _ = fold([demo()])
    assert sweep(state, at(days=365), RULES)[0].tier is Tier.SQL


def test_repromotion_after_demotion_has_a_new_promotion_id() -> None:
    kinds = ["price_list", "case_study", "whitepaper"]
    state, first = fold([download(k) for k in kinds])
    state, _ = sweep(state, at(days=60), RULES)
    emitted = []
    for i, kind in enumerate(kinds):
        state, out = apply(state, download(kind, when=at(days=60, hours=i)), RULES)
        emitted += out
    [one], [two] = promotions(first), promotions(emitted)
    assert one.to_tier == two.to_tier == Tier.MQL
    assert one.promotion_id != two.promotion_id


def test_promotion_id_is_the_same_on_replay() -> None:
    events = [form(), video(), video()]
    assert promotions(fold(events)[1]) == promotions(fold(events)[1])


def test_negative_points_lower_the_score() -> None:
    state, _ = fold([download("price_list"), event("wechat_unsubscribed", when=at(hours=1))])
    assert state.score < 25


def test_state_survives_a_json_round_trip() -> None:
    state, _ = fold([form(), video(), page(400, "https://x.cn/pricing"), demo()])
    assert from_json(to_json(state)) == state


def test_a_tombstone_forwards_instead_of_scoring() -> None:
    dead = tombstone(fold([form()])[0], "lead_0")
    assert admit(dead, demo(), RULES) is Admission.MERGED
    assert apply(dead, demo(), RULES) == (dead, [])


def test_first_event_publishes_a_score_even_when_it_earns_nothing() -> None:
    _, emitted = fold([event("identify")])
    assert [type(e) for e in emitted] == [ScoreChange]


def test_pricing_page_earns_its_dwell_band_and_the_pricing_bonus() -> None:
    state, _ = fold([page(90, "https://x.cn/pricing?plan=pro")])
    assert state.contributions == {"page_read": 3, "pricing_page_viewed": 6}


def test_custom_event_rules_match_on_any_property() -> None:
    rules = rules_from(
        """
rules:
  - {id: trial, event: custom, where: {name: trial_started, plan: {in: [pro, team]}}, points: 20}
tiers: {mql: trial >= 1}
"""
    )
    pro = event("custom", {"name": "trial_started", "plan": "pro"})
    free = event("custom", {"name": "trial_started", "plan": "free"})
    state, _ = fold([pro, free], rules)
    assert (state.score, state.tier, state.rule_counts) == (20, Tier.MQL, {"trial": 1})


def test_a_future_dated_event_counts_at_the_time_ingest_received_it() -> None:
    future = event("form_submitted", {"form_id": "f"}, when=at(days=90))
    future = future.model_copy(update={"received_at": at()})
    state, _ = fold([future])
    assert state.clock_us == to_us(at())
    assert admit(state, demo(when=at(days=-1)), RULES) is Admission.ACCEPTED

"""Reach times (scoring/model/reach.py): when a lead's own timeline first met each tier.

The definition (docs/metrics.md, "Tier funnel"): order the lead's events by (event time, id); a
tier is reached at the first event after which the events so far, valued at that event's time,
meet the tier or a higher one. Whatever order the events arrive in, the fold must end with these
times — the funnel counts them, not the order promotions happened to be decided in.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from schemas.events import Event
from schemas.outgoing import LeadPromoted, LeadsMerged, Tier
from scoring.model.criteria import RANK
from scoring.model.engine import Emitted, merge
from scoring.model.ledger import event_us
from scoring.model.reach import met
from scoring.model.rules import RuleSet
from scoring.model.state import LeadState, new_lead
from tests.unit.scoring_factories import at, demo, event, fold, form, page, rules_from
from tests.unit.test_scoring_properties import PROPERTY_SETTINGS, RULE_SETS, events, near_a_bar

BARS = rules_from(
    """
rules:
  - {id: visit, event: page_viewed, points: 20}
  - {id: form, event: form_submitted, points: 15}
  - {id: demo, event: demo_requested, points: 50}
  - {id: unsubscribe, event: wechat_unsubscribed, points: -20}
tiers:
  mql: score >= 30
  sql: score >= 60
"""
)


def visit(day: float) -> Event:
    return page(0, when=at(days=day))


def unsubscribe(day: float) -> Event:
    return event("wechat_unsubscribed", when=at(days=day))


def promoted_to(emitted: list[Emitted], tier: Tier) -> bool:
    return any(isinstance(e, LeadPromoted) and e.to_tier == tier for e in emitted)


def in_time(evts: list[Event]) -> list[Event]:
    return sorted(evts, key=lambda e: (event_us(e), e.event_id))


def timeline_reach(evts: list[Event], rules: RuleSet) -> tuple[dict[Tier, int], list[float]]:
    """The definition, by brute force: fold every prefix in time order, note what it meets."""
    reached: dict[Tier, int] = {}
    scores = []
    ordered = in_time(evts)
    for n in range(1, len(ordered) + 1):
        state, _ = fold(ordered[:n], rules)
        if ordered[n - 1].event_id not in state.seen:
            continue
        us = event_us(ordered[n - 1])
        tier = met(state, us, rules)
        scores.append(state.score)
        for t in (Tier.MQL, Tier.SQL, Tier.OPPORTUNITY):
            if RANK[t] <= RANK[tier]:
                reached.setdefault(t, us)
    return reached, scores


def test_a_late_negative_event_takes_back_a_crossing_the_timeline_never_had() -> None:
    arrivals = [visit(1), form(when=at(days=3)), unsubscribe(2)]
    # in arrival order: 20, 35 (MQL decided there and then), and the day-2 unsubscribe: 15
    state, emitted = fold(arrivals, BARS)
    assert promoted_to(emitted, Tier.MQL)
    # on the lead's timeline: 20 (day 1), 0 (day 2), 15 (day 3): never 30
    assert state.reached == {} == timeline_reach(arrivals, BARS)[0]


def test_a_late_event_adds_the_crossing_the_timeline_had_at_its_own_time() -> None:
    late_form = form(when=at(days=2))
    arrivals = [visit(1), unsubscribe(5), late_form]
    # in arrival order: 20, 0, 15: never 30, no promotion
    state, emitted = fold(arrivals, BARS)
    assert not promoted_to(emitted, Tier.MQL)
    # on the timeline: 20 (day 1), 35 on day 2 (MQL), 15 on day 5
    assert state.reached == {Tier.MQL: event_us(late_form)}
    assert state.tier == Tier.LEAD


def test_reaching_a_higher_tier_reaches_every_tier_below_at_the_same_time() -> None:
    demo_request = demo(when=at(days=2))
    state, _ = fold([visit(1), demo_request], BARS)
    assert state.reached == {Tier.MQL: event_us(demo_request), Tier.SQL: event_us(demo_request)}


def test_a_late_event_moves_a_reach_time_earlier() -> None:
    second = visit(4)
    state, _ = fold([visit(1), second], BARS)
    assert state.reached == {Tier.MQL: event_us(second)}
    early_form = form(when=at(days=2))
    state, _ = fold([visit(1), second, early_form], BARS)
    assert state.reached == {Tier.MQL: event_us(early_form)}


def merged(survivor: LeadState, other: LeadState, day: float) -> LeadState:
    found = LeadsMerged(
        merge_id="m-1",
        surviving_lead_id=survivor.lead_id,
        merged_lead_id=other.lead_id,
        linking_identities=["phone:x"],
        trigger_event_id="evt-link",
        occurred_at=at(days=day),
    )
    return merge(survivor, other, BARS, found)[0]


def test_two_leads_found_to_be_one_person_reach_on_their_joint_timeline() -> None:
    second_visit = visit(3)
    a, _ = fold([visit(1)], BARS, lead_id="lead_a")  # 20: not an MQL alone
    b, _ = fold([second_visit], BARS, lead_id="lead_b")  # 20: nor this one
    assert a.reached == b.reached == {}
    # one person: 20 on day 1, 40 on day 3
    assert merged(a, b, day=9).reached == {Tier.MQL: event_us(second_visit)}


def test_a_merge_keeps_the_earlier_reach_and_adds_what_the_joint_timeline_reaches() -> None:
    first_form = form(when=at(days=2))
    a, _ = fold([visit(1), first_form], BARS, lead_id="lead_a")
    fifth = visit(5)
    b, _ = fold([visit(4), fifth], BARS, lead_id="lead_b")
    assert (
        a.reached == {Tier.MQL: event_us(first_form)} and b.reached[Tier.MQL] > a.reached[Tier.MQL]
    )
    # together: 20, 35 (MQL on day 2), 55, 75 (SQL on day 5)
    assert merged(a, b, day=9).reached == {
        Tier.MQL: event_us(first_form),
        Tier.SQL: event_us(fifth),
    }


@PROPERTY_SETTINGS
@given(evts=events(min_size=1), rules=RULE_SETS)
def test_reach_in_time_order_is_the_timeline_definition(evts: list[Event], rules: RuleSet) -> None:
    state, _ = fold(in_time(evts), rules)
    assert state.reached == timeline_reach(evts, rules)[0]


@PROPERTY_SETTINGS
@given(evts=events(min_size=1), rules=RULE_SETS, data=st.data())
def test_reach_does_not_depend_on_arrival_order(
    evts: list[Event], rules: RuleSet, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(evts))
    expected, scores = timeline_reach(evts, rules)
    state, _ = fold(shuffled, rules)
    # re-valuing a point undoes its decay by division: only a cent from a bar can tell
    assert state.reached == expected or any(near_a_bar(s, rules) for s in scores)


def test_a_lead_nothing_happened_to_has_reached_nothing() -> None:
    assert new_lead("lead_x").reached == {}

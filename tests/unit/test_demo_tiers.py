"""The demo's leads reach the tiers they were built for under the shipped scoring rules."""

from __future__ import annotations

from collections import defaultdict

from demo.journeys import LeadJourney
from schemas.events import Event
from scoring.model.engine import apply, new_lead
from scoring.model.rules import default_rules
from tests.support.demo_factories import as_ingested, dataset


def _tiers() -> dict[int, str]:
    rules, events = default_rules(), defaultdict[int, list[Event]](list)
    for post in dataset().posts:
        event = as_ingested(post)
        assert not hasattr(event, "code"), event
        events[post.lead].append(event)  # type: ignore[arg-type]
    tiers = {}
    for lead, trail in events.items():
        state = new_lead(f"lead-{lead}")
        for event in trail:
            state, _ = apply(state, event, rules)
        tiers[lead] = str(state.tier)
    return tiers


def _intended(journey: LeadJourney, opportunities: set[int]) -> str:
    if journey.lead in opportunities:
        return "opportunity"
    return "sql" if journey.sql_at else "mql" if journey.mql_at else "lead"


def test_every_lead_ends_in_the_tier_its_story_was_written_for() -> None:
    data = dataset()
    opportunities = {plan.lead for plan in data.opportunities if len(plan.stays) > 1}
    tiers = _tiers()

    wrong = {
        j.lead: (_intended(j, opportunities), tiers[j.lead])
        for j in data.journeys
        if _intended(j, opportunities) != tiers[j.lead]
    }
    assert not wrong


def test_the_funnel_narrows_like_a_real_one() -> None:
    journeys = dataset().journeys
    mql = sum(j.mql_at is not None for j in journeys) / len(journeys)
    sql = sum(j.sql_at is not None for j in journeys) / max(
        1, sum(j.mql_at is not None for j in journeys)
    )

    assert 0.3 < mql < 0.5
    assert 0.15 < sql < 0.4


def test_mql_to_sql_improves_from_the_oldest_to_the_newest_leads() -> None:
    qualified = sorted(
        (j for j in dataset(leads=2000).journeys if j.mql_at), key=lambda j: j.first_seen_at
    )
    older, newer = qualified[: len(qualified) // 2], qualified[len(qualified) // 2 :]

    def rate(group: list[LeadJourney]) -> float:
        return sum(j.intent == "sql" for j in group) / len(group)

    assert rate(newer) > rate(older) + 0.05

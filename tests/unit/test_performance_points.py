"""Rep points: the points file, the awards per activity and the monthly fold (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.model.rows import StageIntervalRow
from performance.model.awards import (
    Activity,
    event_activities,
    monthly_points,
    stay_activity,
)
from performance.model.rules import PointsError, default_points_text, load_points, parse_points
from schemas.events import parse_event
from schemas.outgoing import ResolvedEvent

RULES = load_points()
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def resolved(kind: str, properties: dict[str, Any], at: datetime = T0, **envelope: Any) -> Any:
    event = parse_event(
        {
            "event_id": envelope.pop("event_id", f"e-{kind}-{at.isoformat()}"),
            "type": kind,
            "schema_version": envelope.pop("schema_version", 2),
            "channel": "crm",
            "occurred_at": at.isoformat(),
            "received_at": at.isoformat(),
            "source": "tests",
            "identities": {"crm_lead_id": "L-1"},
            "properties": properties,
        }
    )
    return ResolvedEvent(lead_id="lead-1", event=event)


def talk(communication_id: str = "c-1", at: datetime = T0, **flags: Any) -> Any:
    properties = {"communication_id": communication_id, "owner": "li.na", **flags}
    return resolved("communication_logged", properties, at, event_id=f"{communication_id}@{at}")


def stay(outcome: str | None, owner: str | None = "li.na", seq: int = 0) -> StageIntervalRow:
    return StageIntervalRow(
        opportunity_id="OPP-1",
        seq=seq,
        lead_id="lead-1",
        stage="demo",
        entered_at=T0,
        entered_event_id=f"s-{seq}",
        exited_at=None if outcome is None else T0 + timedelta(days=3),
        outcome=outcome,
        owner=owner,
    )


def test_the_shipped_file_is_versioned_and_names_the_article_rules() -> None:
    assert RULES.version == "2026.12-1"
    points = {rule.id: rule.points for rule in RULES.rules}
    assert points == {
        "effective_follow_up": 2,
        "meeting_minutes_uploaded": 3,
        "stage_advanced": 5,
        "negative_feedback": -5,
    }
    assert RULES.team_of("li.na") == "east" and RULES.team_of("nobody") == "unassigned"


def test_an_effective_follow_up_earns_two_and_minutes_three_more() -> None:
    [plain] = event_activities([talk(need_identified=True)], RULES)
    assert plain.awards == {"effective_follow_up": 2}
    [minutes] = event_activities([talk(next_step_agreed=True, minutes_uploaded=True)], RULES)
    assert minutes.awards == {"effective_follow_up": 2, "meeting_minutes_uploaded": 3}
    assert minutes.points == 5 and minutes.owner == "li.na"


def test_an_ineffective_communication_earns_nothing_even_with_minutes() -> None:
    [activity] = event_activities([talk(minutes_uploaded=True)], RULES)
    assert activity.awards == {} and activity.points == 0


def test_a_version_1_communication_without_owner_is_nobodys_activity() -> None:
    fact = resolved(
        "communication_logged",
        {"communication_id": "c-9", "need_identified": True},
        schema_version=1,
    )
    assert event_activities([fact], RULES) == []


def test_a_resent_communication_counts_once_as_its_newest_version() -> None:
    first = talk("c-1", T0, need_identified=True)
    edited = talk("c-1", T0 + timedelta(hours=1))  # the CRM cleared the flags
    for order in ([first, edited], [edited, first]):
        [activity] = event_activities(order, RULES)
        assert activity.awards == {}


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("advanced", {"stage_advanced": 5}), ("won", {"stage_advanced": 5}), ("lost", {})],
)
def test_moving_an_opportunity_on_earns_five_for_the_owner_at_the_move(
    outcome: str, expected: dict[str, float]
) -> None:
    activity = stay_activity(stay(outcome), RULES)
    assert activity is not None and activity.awards == expected
    assert activity.occurred_at == T0 + timedelta(days=3)


def test_a_stay_still_open_or_without_owner_earns_nothing() -> None:
    assert stay_activity(stay(None), RULES) is None
    assert stay_activity(stay("advanced", owner=None), RULES) is None


@pytest.mark.parametrize(("score", "points"), [(0, -5), (6, -5), (7, 0), (10, 0)])
def test_negative_feedback_at_or_below_the_bar_costs_five(score: int, points: float) -> None:
    fact = resolved("feedback_given", {"score": score, "owner": "li.na"})
    [activity] = event_activities([fact], RULES)
    assert activity.points == points and activity.source == "feedback"


def test_feedback_naming_no_rep_is_nobodys() -> None:
    assert event_activities([resolved("feedback_given", {"score": 2})], RULES) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("    when: { effective: true }", "    when: { outcome: [won] }"), "has no outcome"),
        (("points: 2", "points: two"), "rules.0.points"),
        (("  north: [chen.jie", "  north: [li.na, chen.jie"), "'li.na' is in two teams"),
        (("results_weight: 0.6", "results_weight: 0.7"), "add up to 1"),
    ],
)
def test_a_broken_points_file_is_refused_naming_the_field(
    change: tuple[str, str], message: str
) -> None:
    text = default_points_text()
    assert change[0] in text
    with pytest.raises(PointsError, match=message):
        parse_points(text.replace(change[0], change[1], 1), "points.yaml")


def test_monthly_points_split_by_month_and_rule_in_the_time_zone() -> None:
    late = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # already 1 December in Shanghai
    facts = [talk("a", T0, need_identified=True), talk("b", late, need_identified=True)]
    months = monthly_points(event_activities(facts, RULES), UTC)
    assert set(months) == {("li.na", "2026-11")}
    assert months["li.na", "2026-11"].total == 4
    assert months["li.na", "2026-11"].counts == {"effective_follow_up": 2}
    shanghai = monthly_points(event_activities(facts, RULES), ZoneInfo("Asia/Shanghai"))
    assert {key: month.total for key, month in shanghai.items()} == {
        ("li.na", "2026-11"): 2,
        ("li.na", "2026-12"): 2,
    }


# --- properties ------------------------------------------------------------------------------

activities = st.builds(
    Activity,
    source=st.sampled_from(["communication", "stay", "feedback"]),
    source_id=st.sampled_from(["a", "b", "c", "d"]),
    owner=st.sampled_from(["li.na", "wang.fang"]),
    occurred_at=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    event_id=st.text("xyz", min_size=1, max_size=3),
    opportunity_id=st.none(),
    rules_version=st.just(RULES.version),
    awards=st.dictionaries(st.sampled_from([r.id for r in RULES.rules]), st.integers(-5, 5)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(activities, max_size=30), st.randoms())
def test_monthly_points_are_the_same_in_any_arrival_order_and_add_up(
    drawn: list[Activity], rng: Any
) -> None:
    # one content per event: a redelivered event is the same bytes
    items = list({(a.key, a.occurred_at, a.event_id): a for a in drawn}.values())
    shuffled = list(items)
    rng.shuffle(shuffled)
    months = monthly_points(items, UTC)
    assert months == monthly_points(shuffled, UTC)
    assert monthly_points(items + shuffled, UTC) == months  # redelivered: counted once
    keys = {a.key for a in items}
    latest = [
        max((a for a in items if a.key == key), key=lambda a: (a.occurred_at, a.event_id))
        for key in keys
    ]
    assert sum(m.total for m in months.values()) == sum(a.points for a in latest)
    for month in months.values():
        assert month.total == sum(month.by_rule.values())


def test_an_activity_is_about_the_survivor_of_its_lead() -> None:
    [activity] = event_activities([talk(need_identified=True)], RULES, {"lead-1": "lead-0"})
    assert activity.lead_id == "lead-0"
    [kept] = event_activities([talk(need_identified=True)], RULES)
    assert kept.lead_id == "lead-1"
    moved = stay_activity(stay("advanced"), RULES)
    assert moved is not None and moved.lead_id == "lead-1"

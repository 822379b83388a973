"""The weekly to-do list (performance/model/todos.py): what a rep has to do in an ISO week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from performance.model.todos import (
    AtRisk,
    NextStep,
    PastGate,
    QuietLead,
    Week,
    todo_alerts,
    weekly_todos,
)
from schemas.outgoing import AlertKind

WEEK = Week.parse("2026-W10")  # Monday 2 March 2026


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, 1, hour, tzinfo=UTC) + timedelta(days=day - 1)


def step(cid: str, day: int, due: date | None, opportunity: str | None = "O1") -> NextStep:
    return NextStep(cid, "L1", opportunity, at(day), due)


def test_weeks_are_iso_weeks_from_monday() -> None:
    assert WEEK.start == date(2026, 3, 2) and WEEK.end == date(2026, 3, 9)
    assert WEEK.name == "2026-W10" and Week.of(date(2026, 3, 8)) == WEEK
    assert Week.parse("2026-W01").start == date(2025, 12, 29)  # ISO: the week of 1 January
    with pytest.raises(ValueError, match="ISO week"):
        Week.parse("2026-10")
    with pytest.raises(ValueError):
        Week.parse("2026-W54")


def test_a_next_step_due_this_week_or_overdue_is_listed_unless_followed_up() -> None:
    steps = [
        step("c1", -10, date(2026, 2, 25)),  # overdue, never followed up
        step("c2", -3, date(2026, 3, 4), opportunity="O2"),  # due this week, later one on O2...
        step("c3", -1, None, opportunity="O2"),  # ...followed it up
        step("c4", 0, date(2026, 3, 12), opportunity="O3"),  # due next week: not yet
        step("c5", 0, date(2026, 3, 6), opportunity="O4"),  # due this week
    ]
    todos = weekly_todos(WEEK, steps)
    assert [(t.source_id, t.due) for t in todos] == [
        ("c1", date(2026, 2, 25)),
        ("c5", date(2026, 3, 6)),
    ]
    assert todos[0].detail.endswith("(overdue)") and not todos[1].detail.endswith("(overdue)")


def test_leads_quiet_longer_than_their_tier_allows_and_last_weeks_moves_past_a_gate() -> None:
    leads = [
        QuietLead("L1", "sql", at(-10), timedelta(days=7)),  # 11 days quiet by Monday
        QuietLead("L2", "mql", at(-4), timedelta(days=7)),  # 5 days: fine
    ]
    moves = [
        PastGate("e1", "L3", "O3", "demo", ("evidence:needs_document",), at(-2)),  # last week
        PastGate("e2", "L3", "O3", "demo", ("evidence:needs_document",), at(-20)),  # older
        PastGate("e3", "L4", "O4", "won", (), at(-2)),  # passed
    ]
    todos = weekly_todos(WEEK, leads=leads, moves=moves)
    assert [(t.kind, t.source_id) for t in todos] == [
        ("stale_lead", "L1"),
        ("gate_violation", "e1"),
    ]
    assert "11 days" in todos[0].detail and "needs_document" in todos[1].detail


def test_one_alert_per_rep_with_something_to_do_with_a_stable_id() -> None:
    lists = {"li": weekly_todos(WEEK, [step("c1", -10, date(2026, 2, 25))]), "wang": []}
    (alert,) = todo_alerts(WEEK, lists, at(2, 0))
    assert alert.alert_id == "weekly_todos:li:2026-W10" and alert.kind is AlertKind.WEEKLY_TODOS
    assert alert.owner == "li" and alert.details["items"][0]["source_id"] == "c1"
    assert "1 next step" in alert.message


@given(
    st.lists(
        st.tuples(st.integers(-60, 10), st.none() | st.integers(-30, 20), st.sampled_from("ABC")),
        max_size=12,
    )
)
def test_listed_steps_fall_due_before_the_week_ends_and_are_their_deals_latest_talk(
    rows: list[tuple[int, int | None, str]],
) -> None:
    monday = date(2026, 3, 2)
    steps = [
        NextStep(f"c{n}", "L1", deal, at(day), None if due is None else monday + timedelta(due))
        for n, (day, due, deal) in enumerate(rows)
    ]
    todos = weekly_todos(WEEK, steps)
    for todo in todos:
        listed = next(s for s in steps if s.communication_id == todo.source_id)
        latest = max(s.occurred_at for s in steps if s.opportunity_id == listed.opportunity_id)
        assert todo.due < WEEK.end and listed.occurred_at == latest
    expected = {
        s.communication_id
        for s in steps
        if s.next_step_due is not None
        and s.next_step_due < WEEK.end
        and s.occurred_at
        == max(t.occurred_at for t in steps if t.opportunity_id == s.opportunity_id)
    }
    assert {t.source_id for t in todos} == expected
    assert todos == sorted(todos, key=lambda t: (t.due, t.source_id))


def test_deals_at_risk_come_right_after_the_days_next_steps_with_their_first_reasons() -> None:
    risky = AtRisk("O7", "L7", 0.83, ("25 days since the last effective talk", "b", "c"))
    steps = [step("c1", 1, date(2026, 3, 2))]
    quiet = [QuietLead("L1", "sql", at(-10), timedelta(days=7))]
    todos = weekly_todos(WEEK, steps, quiet, risks=[risky])
    assert [t.kind for t in todos] == ["next_step", "at_risk", "stale_lead"]
    assert todos[1].detail == "risk 83%: 25 days since the last effective talk; b"
    assert todos[1].opportunity_id == "O7" and todos[1].due == WEEK.start

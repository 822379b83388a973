"""Stale-lead alerting in event time: once per idle period, cleared on activity, replay-safe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from alerts.model.stale import (
    LeadActivity,
    StaleConfig,
    evaluate,
    on_activity,
    on_status,
    stale_at,
)
from schemas.outgoing import Alert, AlertKind, Tier
from tests.support.helpers import days_from

T0 = datetime(2024, 3, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


day = days_from(T0)


def mql_lead(last_activity: float = 0, owner: str = "wang") -> LeadActivity:
    """An MQL, active since day 0, last touched on `last_activity`."""
    return LeadActivity(
        "lead-1", Tier.MQL, owner=owner, last_activity_at=day(last_activity), active_since=day(0)
    )


def test_an_mql_idle_for_more_than_seven_days_raises_one_stale_alert_naming_the_owner() -> None:
    state, alerts = evaluate(mql_lead(), day(7))
    assert alerts == []  # exactly seven days is not *more* than seven
    state, (alert,) = evaluate(state, day(7) + SECOND)
    assert alert.alert_id == "lead_stale:lead-1:2024-03-01T00:00:00+00:00"
    assert (alert.kind, alert.subject, alert.owner) == (AlertKind.LEAD_STALE, "lead-1", "wang")
    assert alert.occurred_at == day(7)  # when it became stale, not when the sweep ran
    assert alert.details["allowed_idle_days"] == 7.0


def test_later_sweeps_in_the_same_idle_period_stay_silent() -> None:
    state, _ = evaluate(mql_lead(), day(8))
    for sweep in (day(9), day(20), day(100)):
        state, alerts = evaluate(state, sweep)
        assert alerts == []


def test_activity_clears_the_flag_and_a_new_idle_period_alerts_again() -> None:
    state, _ = evaluate(mql_lead(), day(8))
    state, (cleared,) = on_activity(state, day(9))
    assert cleared.alert_id == "lead_reactivated:lead-1:2024-03-01T00:00:00+00:00"
    assert (cleared.kind, cleared.occurred_at, cleared.severity) == (
        AlertKind.LEAD_REACTIVATED,
        day(9),
        "info",
    )
    state, alerts = evaluate(state, day(16))
    assert alerts == []
    state, (again,) = evaluate(state, day(16) + SECOND)
    assert again.alert_id == "lead_stale:lead-1:2024-03-10T00:00:00+00:00"


def test_a_gap_closed_before_any_sweep_still_reports_the_period_it_ended() -> None:
    _, (stale, back) = on_activity(mql_lead(), day(10))
    assert (stale.kind, stale.occurred_at) == (AlertKind.LEAD_STALE, day(7))
    assert (back.kind, back.occurred_at) == (AlertKind.LEAD_REACTIVATED, day(10))


def test_activity_within_the_allowed_idle_time_raises_nothing() -> None:
    state, alerts = on_activity(mql_lead(), day(6))
    assert alerts == []
    assert stale_at(state) == day(13)


def test_leads_below_mql_without_an_open_opportunity_never_go_stale() -> None:
    plain = LeadActivity("lead-2", Tier.LEAD, last_activity_at=day(0), active_since=day(0))
    assert evaluate(plain, day(90)) == (plain, [])
    assert stale_at(plain) is None


def test_an_open_opportunity_makes_a_low_tier_lead_active_under_the_opportunity_limit() -> None:
    config = StaleConfig(days_by_tier={Tier.OPPORTUNITY: 2.0})
    state = LeadActivity("lead-3", Tier.LEAD, last_activity_at=day(0))
    state, _ = on_status(state, day(1), Tier.LEAD, has_open_opportunity=True, config=config)
    assert stale_at(state, config) == day(3)  # idle since it became active on day 1


def test_thresholds_are_per_tier() -> None:
    config = StaleConfig(default_days=10.0, days_by_tier={Tier.SQL: 3.0})
    sql = LeadActivity("lead-4", Tier.SQL, last_activity_at=day(0), active_since=day(0))
    assert stale_at(sql, config) == day(3)
    assert stale_at(mql_lead(), config) == day(10)


def test_the_idle_clock_starts_when_a_lead_becomes_active() -> None:
    quiet = LeadActivity("lead-5", Tier.LEAD, last_activity_at=day(0))
    state, _ = on_status(quiet, day(20), Tier.MQL, has_open_opportunity=False)
    assert evaluate(state, day(27))[1] == []
    _, (alert,) = evaluate(state, day(27) + SECOND)
    assert alert.details["idle_since"] == day(20).isoformat()


def test_an_old_interaction_arriving_late_changes_nothing() -> None:
    state = mql_lead(last_activity=5)
    assert on_activity(state, day(3)) == (state, [])


def test_a_late_interaction_that_shortens_the_flagged_period_clears_the_flag() -> None:
    state, _ = evaluate(mql_lead(), day(8))  # flagged: idle since day 0
    state, (cleared,) = on_activity(state, day(5))  # arrives late, but is newer than day 0
    assert cleared.kind is AlertKind.LEAD_REACTIVATED
    assert state.alerted_idle_since is None


def test_a_lead_that_drops_out_of_follow_up_loses_its_flag_silently() -> None:
    state, _ = evaluate(mql_lead(), day(8))
    state, alerts = on_status(state, day(9), Tier.LEAD, has_open_opportunity=False)
    assert alerts == []
    assert (state.alerted_idle_since, state.is_active) == (None, False)
    assert evaluate(state, day(30))[1] == []


# --- replay, restart and interleaving ----------------------------------------------------------

Step = Callable[[LeadActivity], tuple[LeadActivity, list[Alert]]]
TIERS = [Tier.LEAD, Tier.MQL, Tier.SQL, Tier.OPPORTUNITY]


def activity(at: datetime) -> Step:
    return lambda state: on_activity(state, at)


def status(at: datetime, tier: Tier, is_open: bool, owner: str) -> Step:
    return lambda state: on_status(state, at, tier, is_open, owner)


def sweep(at: datetime) -> Step:
    return lambda state: evaluate(state, at)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[tuple[int, Step]], list[tuple[int, Step]]]:
    """Timed lead events, and the same events with sweeps interleaved (none ahead of the input)."""
    hours = draw(st.lists(st.integers(0, 24 * 40), max_size=25))
    events: list[tuple[int, Step]] = []
    for hour in sorted(hours):
        at = T0 + timedelta(hours=hour)
        if draw(st.booleans()):
            events.append((hour, activity(at)))
        else:
            tier, is_open = draw(st.sampled_from(TIERS)), draw(st.booleans())
            events.append((hour, status(at, tier, is_open, draw(st.sampled_from(["li", "wang"])))))
    sweeps = [
        (hour, sweep(T0 + timedelta(hours=hour)))
        for hour in draw(st.lists(st.integers(0, 24 * 40), max_size=25))
    ]
    end = 24 * 41
    final = (end, sweep(T0 + timedelta(hours=end)))
    # stable sort: at equal hours the event runs before the sweep, so no sweep runs ahead of input
    swept = sorted(events + sweeps, key=lambda item: item[0])
    return [*events, final], [*swept, final]


def run(steps: list[tuple[int, Step]], state: LeadActivity | None = None) -> list[Alert]:
    state = state or LeadActivity("lead-p", last_activity_at=T0)
    emitted: list[Alert] = []
    for _, step in steps:
        state, alerts = step(state)
        emitted.extend(alerts)
    return emitted


@given(histories())
def test_alerts_do_not_depend_on_when_sweeps_run(
    history: tuple[list[tuple[int, Step]], list[tuple[int, Step]]],
) -> None:
    events_only, with_sweeps = history
    assert run(with_sweeps) == run(events_only)


@given(histories())
def test_each_idle_period_alerts_at_most_once_and_clears_at_most_once(
    history: tuple[list[tuple[int, Step]], list[tuple[int, Step]]],
) -> None:
    alerts = run(history[1])
    ids = [alert.alert_id for alert in alerts]
    assert len(ids) == len(set(ids))
    open_flag: str | None = None
    for alert in alerts:  # a clear always follows the stale alert of the same period
        if alert.kind is AlertKind.LEAD_STALE:
            open_flag = alert.details["idle_since"]
        elif alert.kind is AlertKind.LEAD_REACTIVATED:
            assert alert.details["idle_since"] == open_flag
            open_flag = None


@given(histories(), st.data())
def test_a_restart_from_an_earlier_checkpoint_only_repeats_identical_alerts(
    history: tuple[list[tuple[int, Step]], list[tuple[int, Step]]], data: st.DataObject
) -> None:
    steps = history[1]
    checkpoint = data.draw(st.integers(0, len(steps)))
    crash = data.draw(st.integers(checkpoint, len(steps)))
    published = run(steps[:crash])  # out before the crash; state was saved at the checkpoint
    saved = LeadActivity("lead-p", last_activity_at=T0)
    for _, step in steps[:checkpoint]:
        saved, _ = step(saved)
    published.extend(run(steps[checkpoint:], saved))
    by_id: dict[str, Alert] = {}
    for alert in published:
        assert by_id.setdefault(alert.alert_id, alert) == alert
    assert set(by_id) == {alert.alert_id for alert in run(steps)}

"""The monthly health check on a hand-computed month, its grading boundaries and its alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from alerts.model.health import (
    HealthReport,
    HealthThresholds,
    Indicator,
    Status,
    grade,
    health_alerts,
    health_check,
)
from funnel.model.maths import LeadTierHistory
from funnel.model.rows import StageIntervalRow
from funnel.model.stages import Outcome
from schemas.outgoing import AlertKind, Tier


def at(month: int, day: int) -> datetime:
    return datetime(2024, month, day, tzinfo=UTC)


def mql_lead(lead_id: str, mql: datetime | None, sql: datetime | None = None) -> LeadTierHistory:
    reached = {tier: t for tier, t in ((Tier.MQL, mql), (Tier.SQL, sql)) if t is not None}
    return LeadTierHistory(lead_id, at(1, 1), reached=reached)


def deal(
    opportunity_id: str, won_at: datetime, days: int, amount: float | None
) -> StageIntervalRow:
    """A deal that sat in first contact from `days` before the win until it was won."""
    return StageIntervalRow(
        opportunity_id,
        "first_contact",
        won_at - timedelta(days=days),
        won_at,
        outcome=Outcome.WON,
        amount=amount,
    )


def demo(n: int, days_to_exit: int | None) -> StageIntervalRow:
    """A demo stay entered on 20 Feb + n days; its 14-day SLA falls due on 5 Mar + n days."""
    entered = at(2, 20) + timedelta(days=n)
    exited = None if days_to_exit is None else entered + timedelta(days=days_to_exit)
    outcome = Outcome.ADVANCED if exited else None
    return StageIntervalRow(f"demo-{n}", "demo", entered, exited, outcome=outcome)


LEADS = [
    *(mql_lead(f"m{n}", at(3, 1 + n)) for n in range(9)),
    mql_lead("m9", None, sql=at(3, 25)),  # jumped to SQL: passed MQL in March too
    mql_lead("p", at(2, 28), sql=at(3, 2)),  # MQL in February: not March's cohort
    mql_lead("q", at(4, 1)),  # the end of the month is exclusive
]
STAYS = [
    deal("won-40", at(3, 10), 40, 150_000.0),
    deal("won-50", at(3, 15), 50, 100_000.0),  # exactly at the threshold counts as high value
    deal("won-60", at(3, 20), 60, 20_000.0),
    deal("won-70", at(3, 25), 70, None),  # unknown amount: not judged for value
    deal("won-feb", at(2, 20), 50, 500_000.0),
    deal("won-apr", at(4, 2), 62, 500_000.0),
    *(demo(n, 10) for n in range(7)),  # left after 10 days: on time
    demo(7, 20),
    demo(8, 20),  # left after 20 days: late
    demo(9, None),  # never left: late
    demo(34, None),  # entered 25 Mar, due 8 Apr: not due in March
]


def by_name(report: HealthReport) -> dict[Indicator, tuple[object, Status]]:
    return {i.name: (i.value, i.status) for i in report.indicators}


def test_march_health_check_matches_the_hand_computed_indicators() -> None:
    report = health_check("2024-03", LEADS, STAYS)
    assert (report.period.start, report.period.end, report.as_of) == (at(3, 1), at(4, 1), at(4, 1))
    assert by_name(report) == {
        Indicator.MQL_TO_SQL: (pytest.approx(1 / 10), Status.RED),  # m9 of m0…m9
        Indicator.SALES_CYCLE: (pytest.approx(55.0), Status.AMBER),  # (40+50+60+70)/4
        Indicator.UPDATES_ON_TIME: (pytest.approx(7 / 10), Status.AMBER),  # 70 % is not < 70 %
        Indicator.HIGH_VALUE_SHARE: (pytest.approx(2 / 3), Status.GREEN),  # 150k, 100k of 3
    }


def test_indicators_carry_ranges_counts_and_the_articles_actions() -> None:
    report = health_check("2024-03", LEADS, STAYS)
    mql = report.indicators[0]
    assert (mql.normal_range, mql.alarm_range) == ("≥ 25%", "< 15%")
    assert (mql.numerator, mql.denominator) == (1, 10)
    assert (mql.label_zh, mql.action_zh) == ("线索转化率(MQL→SQL)", "优化筛选规则,加强培育内容")
    cycle = report.indicators[1]
    assert (cycle.normal_range, cycle.alarm_range, cycle.unit) == ("≤ 45 days", "> 60 days", "days")


def test_judging_mid_month_counts_only_what_was_known_then() -> None:
    report = health_check("2024-03", LEADS, STAYS, as_of=at(3, 15))
    values = by_name(report)
    # wins by 15 Mar: 40 and 50 days; MQLs by then: m0…m8 (1–9 Mar), none reached SQL yet
    assert values[Indicator.SALES_CYCLE] == (pytest.approx(45.0), Status.GREEN)
    assert values[Indicator.MQL_TO_SQL] == (0.0, Status.RED)
    # due before 15 Mar: demo-0…demo-9 (5–14 Mar), the same 7 of 10 on time
    assert values[Indicator.UPDATES_ON_TIME] == (pytest.approx(0.7), Status.AMBER)


def test_red_indicators_become_alerts_with_stable_ids() -> None:
    report = health_check("2024-03", LEADS, STAYS)
    (alert,) = health_alerts(report)
    assert alert.alert_id == "health_check_failed:2024-03:mql_to_sql_rate"
    assert (alert.kind, alert.subject, alert.severity) == (
        AlertKind.HEALTH_CHECK_FAILED,
        "mql_to_sql_rate",
        "critical",
    )
    assert alert.occurred_at == at(4, 1)
    assert alert.details["value"] == pytest.approx(0.1)
    assert "< 15%" in alert.message
    assert health_alerts(health_check("2024-03", LEADS, STAYS, as_of=at(5, 1))) == [alert]


def test_the_value_threshold_decides_what_counts_as_high_value() -> None:
    strict = HealthThresholds(high_value_amount=200_000.0)
    report = health_check("2024-03", LEADS, STAYS, thresholds=strict)
    assert by_name(report)[Indicator.HIGH_VALUE_SHARE] == (0.0, Status.RED)
    assert [a.subject for a in health_alerts(report)] == [
        "mql_to_sql_rate",
        "high_value_customer_share",
    ]


def test_a_month_without_data_has_no_grade_and_raises_no_alert() -> None:
    report = health_check("2023-12", LEADS, STAYS)
    assert {i.status for i in report.indicators} == {Status.NO_DATA}
    assert health_alerts(report) == []


@pytest.mark.parametrize(
    ("indicator", "value", "expected"),
    [
        (Indicator.MQL_TO_SQL, 0.25, Status.GREEN),
        (Indicator.MQL_TO_SQL, 0.2499, Status.AMBER),
        (Indicator.MQL_TO_SQL, 0.15, Status.AMBER),
        (Indicator.MQL_TO_SQL, 0.1499, Status.RED),
        (Indicator.SALES_CYCLE, 45.0, Status.GREEN),
        (Indicator.SALES_CYCLE, 45.1, Status.AMBER),
        (Indicator.SALES_CYCLE, 60.0, Status.AMBER),
        (Indicator.SALES_CYCLE, 60.1, Status.RED),
        (Indicator.UPDATES_ON_TIME, 0.9, Status.GREEN),
        (Indicator.UPDATES_ON_TIME, 0.6999, Status.RED),
        (Indicator.HIGH_VALUE_SHARE, 0.3, Status.GREEN),
        (Indicator.HIGH_VALUE_SHARE, 0.2, Status.AMBER),
        (Indicator.HIGH_VALUE_SHARE, 0.1999, Status.RED),
    ],
)
def test_article_boundaries_grade_as_the_article_says(
    indicator: Indicator, value: float, expected: Status
) -> None:
    assert grade(value, HealthThresholds().rule(indicator)) is expected


def test_alarm_thresholds_must_lie_beyond_the_normal_ones() -> None:
    with pytest.raises(ValidationError):
        HealthThresholds(mql_to_sql_alarm=0.30)
    with pytest.raises(ValidationError):
        HealthThresholds(sales_cycle_alarm_days=30.0)


RANK = {Status.RED: 0, Status.AMBER: 1, Status.GREEN: 2}


@given(
    st.sampled_from(list(Indicator)),
    st.floats(0, 200, allow_nan=False),
    st.floats(0, 200, allow_nan=False),
)
def test_a_better_value_never_gets_a_worse_grade(indicator: Indicator, a: float, b: float) -> None:
    rule = HealthThresholds().rule(indicator)
    worse, better = sorted((a, b), reverse=not rule.higher_is_better)
    assert RANK[grade(worse, rule)] <= RANK[grade(better, rule)]

"""Channel cost (docs/metrics.md "Channel cost"): the worked example, month shares, properties."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.model.costs import CostRow, MonthSpend, cost_rows, month_share, total_row
from funnel.model.periods import Period
from funnel.model.tiers import STEPS, FunnelStep

LEAD, MQL, SQL, OPP, WON = STEPS
PERIOD = Period(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 16, tzinfo=UTC))
SPEND = [
    MonthSpend("ads", "spring", "2026-03", 12_000),
    MonthSpend("ads", "spring", "2026-04", 6_000),  # 15 of April's 30 days: half counts
    MonthSpend("ads", None, "2026-03", 1_000),
    MonthSpend("wechat", None, "2026-03", 3_000),
    MonthSpend("wechat", None, "2026-02", 9_999),  # before the period
    MonthSpend("email", None, "2026-03", 600),  # and not one lead
]


def _counts(*values: int) -> dict[FunnelStep, int]:
    return dict(zip(STEPS, (*values, 0, 0, 0, 0, 0), strict=False))


BY_CAMPAIGN = {
    ("ads", "spring"): _counts(40, 8, 2, 1, 0),
    ("ads", "unknown"): _counts(10, 1),
    ("wechat", "unknown"): _counts(30, 12, 6, 3, 2),
    ("website", "unknown"): _counts(20, 4, 1),  # no spend posted
}
BY_CHANNEL = {
    ("ads", None): _counts(50, 9, 2, 1, 0),
    ("wechat", None): _counts(30, 12, 6, 3, 2),
    ("website", None): _counts(20, 4, 1),
}


def _table(rows: list[CostRow]) -> dict[tuple[str, str | None], tuple[object, ...]]:
    return {
        (row.channel, row.campaign): (row.spend, *(row.cost_per[step] for step in STEPS))
        for row in rows
    }


def test_the_worked_example_by_channel() -> None:
    rows = cost_rows(SPEND, BY_CHANNEL, "channel", PERIOD)

    assert _table(rows) == {
        ("ads", None): (16_000.0, 320.0, 16_000 / 9, 8_000.0, 16_000.0, None),
        ("email", None): (600.0, None, None, None, None, None),
        ("wechat", None): (3_000.0, 100.0, 250.0, 500.0, 1_000.0, 1_500.0),
        ("website", None): (None, None, None, None, None, None),
    }
    assert [row.channel for row in rows] == ["ads", "email", "website", "wechat"]
    assert rows[1].counts == _counts(0)  # spend and no leads: shown, with nothing to divide
    total = total_row(rows)
    assert (total.channel, total.spend, total.counts) == (
        "all",
        19_600.0,
        _counts(100, 25, 9, 4, 2),
    )
    assert _table([total])[("all", None)][1:] == (196.0, 784.0, 19_600 / 9, 4_900.0, 9_800.0)


def test_the_worked_example_by_campaign() -> None:
    rows = _table(cost_rows(SPEND, BY_CAMPAIGN, "campaign", PERIOD))

    assert rows[("ads", "spring")] == (15_000.0, 375.0, 1_875.0, 7_500.0, 15_000.0, None)
    assert rows[("ads", "unknown")] == (1_000.0, 100.0, 1_000.0, None, None, None)
    assert rows[("email", "unknown")][0] == 600.0
    assert set(rows) == {*BY_CAMPAIGN, ("email", "unknown")}


@pytest.mark.parametrize(
    ("start", "end", "share"),
    [
        ("2026-03-01", "2026-04-01", 1.0),
        ("2026-01-01", "2027-01-01", 1.0),
        ("2026-03-16", "2026-04-01", 16 / 31),
        ("2026-03-01", "2026-03-01", 0.0),
        ("2026-04-01", "2026-05-01", 0.0),
        ("2026-02-01", "2026-03-01", 0.0),
    ],
)
def test_a_month_counts_with_the_share_of_it_inside_the_period(
    start: str, end: str, share: float
) -> None:
    period = Period(datetime.fromisoformat(start + "T00:00Z"), datetime.fromisoformat(end + "T00Z"))
    assert month_share("2026-03", period) == share
    assert month_share("2026-03", None) == 1.0


def test_months_are_calendar_months_of_the_reporting_time_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    march_utc = Period(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert month_share("2026-03", march_utc, shanghai) == (31 * 24 - 8) / (31 * 24)
    assert month_share("2026-04", march_utc, shanghai) == 8 / (30 * 24)
    march_there = Period(
        datetime(2026, 3, 1, tzinfo=shanghai), datetime(2026, 4, 1, tzinfo=shanghai)
    )
    assert month_share("2026-03", march_there, shanghai) == 1.0


CHANNELS = st.sampled_from(["ads", "wechat", "email", "website"])
SPENDS = st.lists(
    st.builds(
        MonthSpend,
        CHANNELS,
        st.sampled_from([None, "spring", "brand"]),
        st.sampled_from(["2026-01", "2026-02", "2026-03", "2026-04"]),
        st.integers(0, 10**11).map(lambda cents: cents / 100),  # CNY with its fen
    ),
    max_size=30,
)
DAYS = st.integers(min_value=0, max_value=130)


@given(SPENDS, DAYS, DAYS, st.integers(0, 500), st.integers(0, 500))
def test_groups_add_up_to_the_total_spend_and_cost_times_count_is_spend(
    spend: list[MonthSpend], a: int, b: int, leads: int, mqls: int
) -> None:
    start = datetime(2025, 12, 20, tzinfo=UTC)
    period = Period(start + timedelta(days=min(a, b)), start + timedelta(days=max(a, b), hours=a))
    cohorts = {("ads", None): _counts(leads, min(leads, mqls))}
    by_channel = cost_rows(spend, cohorts, "channel", period)
    by_campaign = cost_rows(spend, {}, "campaign", period)
    expected = math.fsum(s.amount * month_share(s.month, period) for s in spend)

    for rows in (by_channel, by_campaign):
        assert math.isclose(total_row(rows).spend or 0.0, expected, rel_tol=1e-9, abs_tol=1e-6)
        for row in rows:
            for step in STEPS:
                cost, count = row.cost_per[step], row.counts[step]
                if cost is None:
                    assert row.spend is None or count == 0
                else:
                    assert math.isclose(cost * count, row.spend or 0.0, rel_tol=1e-12)
    assert ("ads", None) in {(row.channel, row.campaign) for row in by_channel}

"""Funnel maths on hand-computed cases, the source article's stage table, and funnel algebra."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.model.maths import (
    FunnelStep,
    LeadTierHistory,
    Period,
    StageRow,
    WonDeal,
    sales_cycle,
    stage_table,
    tier_funnel,
    won_deals,
)
from funnel.model.periods import month_period, p90
from funnel.model.rows import StageIntervalRow
from funnel.model.stages import DEFAULT_ORDER, Outcome, stage_order
from schemas.outgoing import Tier
from tests.support.helpers import days_from

T0 = datetime(2024, 1, 1, tzinfo=UTC)
JANUARY = Period(T0, datetime(2024, 2, 1, tzinfo=UTC))


day = days_from(T0)


def stay(
    stage: str, entered: float, exited: float | None, outcome: Outcome | None, reason: str = ""
) -> StageIntervalRow:
    return StageIntervalRow(
        opportunity_id=f"o-{stage}-{entered}-{exited}",
        stage=stage,
        entered_at=day(entered),
        exited_at=None if exited is None else day(exited),
        outcome=outcome,
        lost_reason=reason or None,
    )


def row_for(rows: list[StageRow], stage: str) -> StageRow:
    return next(row for row in rows if row.stage == stage)


# --- the stage table ---------------------------------------------------------------------------


def test_stage_row_counts_days_conversion_and_lost_reasons_over_the_entry_cohort() -> None:
    stays = [
        stay("demo", 0, 1, Outcome.ADVANCED),
        stay("demo", 1, 3, Outcome.ADVANCED),
        stay("demo", 2, 5, Outcome.LOST, "price"),
        stay("demo", 3, 7, Outcome.WON),
        stay("demo", 4, 14, Outcome.LOST, "price"),
        stay("demo", 5, None, None),
        stay("demo", 40, 41, Outcome.LOST, "timing"),  # entered in February: not in the cohort
    ]
    demo = row_for(stage_table(stays, period=JANUARY), "demo")
    # days over the five exits: 1, 2, 3, 4, 10
    assert (demo.entered, demo.exited, demo.still_in_stage) == (6, 5, 1)
    assert (demo.advanced, demo.won, demo.lost, demo.regressed) == (2, 1, 2, 0)
    assert demo.avg_days == pytest.approx(4.0)  # 20 / 5
    assert demo.median_days == pytest.approx(3.0)
    assert demo.p90_days == pytest.approx(10.0)  # ceil(0.9·5) = 5th smallest
    assert demo.conversion_rate == pytest.approx(3 / 5)  # two advanced + one won
    assert demo.top_lost_reasons == (("price", 2),)


def test_moving_back_a_stage_is_an_exit_that_does_not_convert() -> None:
    stays = [
        stay("demo", 0, 2, Outcome.ADVANCED),
        stay("demo", 0, 4, Outcome.REGRESSED),
    ]
    demo = row_for(stage_table(stays), "demo")
    assert demo.regressed == 1
    assert demo.conversion_rate == pytest.approx(0.5)


def test_period_includes_its_start_and_excludes_its_end() -> None:
    stays = [stay("demo", 0, 1, Outcome.ADVANCED), stay("demo", 31, 32, Outcome.ADVANCED)]
    assert row_for(stage_table(stays, period=JANUARY), "demo").entered == 1


def test_stage_with_no_exits_has_no_days_and_no_conversion() -> None:
    demo = row_for(stage_table([stay("demo", 0, None, None)]), "demo")
    assert (demo.avg_days, demo.median_days, demo.p90_days, demo.conversion_rate) == (
        None,
        None,
        None,
        None,
    )


def test_table_lists_every_default_stage_in_process_order_then_unknown_stages() -> None:
    rows = stage_table([stay("site_visit", 0, None, None), stay("won", 0, None, None)])
    assert [row.stage for row in rows] == [*DEFAULT_ORDER.open_keys, "site_visit"]
    assert rows[0].label_zh == "初步接触"


def test_lost_reasons_rank_by_count_then_name_and_blank_reasons_are_unspecified() -> None:
    stays = [
        stay("demo", 0, 1, Outcome.LOST, "b"),
        stay("demo", 0, 1, Outcome.LOST, "a"),
        stay("demo", 0, 1, Outcome.LOST, "c"),
        stay("demo", 0, 1, Outcome.LOST, "c"),
        stay("demo", 0, 1, Outcome.LOST),
    ]
    reasons = row_for(stage_table(stays, top_reasons=3), "demo").top_lost_reasons
    assert reasons == (("c", 2), ("a", 1), ("b", 1))


def test_p90_takes_the_nearest_rank() -> None:
    assert p90([float(n) for n in range(1, 11)]) == 9.0  # ceil(9.0) = 9th of 10
    assert p90([float(n) for n in range(1, 12)]) == 10.0  # ceil(9.9) = 10th of 11


# --- the source article's table ----------------------------------------------------------------

# stays entering each stage, how many move forward, mean days, the article's 常见卡点 first
ARTICLE = [
    ("first_contact", 73, 65, 2.1, ["信息收集不全"] * 5 + ["预算不足"] * 3),
    ("needs_confirmed", 65, 41, 5.7, ["客户响应慢"] * 15 + ["预算不足"] * 9),
    ("demo", 41, 31, 4.3, ["技术评估延迟"] * 6 + ["竞品"] * 4),
    ("quote_negotiation", 31, 13, 8.9, ["价格异议处理不当"] * 11 + ["预算不足"] * 7),
]


def spread(mean_days: float, count: int) -> list[float]:
    """`count` durations averaging exactly `mean_days`: pairs at mean ± 0.5, the odd one at mean."""
    durations = [mean_days + (0.5 if n % 2 else -0.5) for n in range(count - count % 2)]
    return durations + [mean_days] * (count % 2)


def article_intervals() -> list[StageIntervalRow]:
    """73 opportunities walking the article's process: each stage's movers go on, the rest lose."""
    intervals: list[StageIntervalRow] = []
    clock = {n: day(n * 0.1) for n in range(73)}
    for stage, entering, advancing, mean_days, reasons in ARTICLE:
        for n, days_in_stage in enumerate(spread(mean_days, entering)):
            entered, clock[n] = clock[n], clock[n] + timedelta(days=days_in_stage)
            moved = n < advancing
            intervals.append(
                StageIntervalRow(
                    opportunity_id=f"opp-{n:02d}",
                    stage=stage,
                    entered_at=entered,
                    exited_at=clock[n],
                    outcome=Outcome.ADVANCED if moved else Outcome.LOST,
                    lost_reason=None if moved else reasons[n - advancing],
                )
            )
    intervals.extend(
        StageIntervalRow(f"opp-{n:02d}", "contract_approval", clock[n]) for n in range(13)
    )
    return intervals


def test_article_stage_table_is_reproduced_from_stage_intervals() -> None:
    rows = stage_table(article_intervals())
    # hand-computed: 65/73 = 88.9 %, 41/65 = 63.1 %, 31/41 = 75.6 %, 13/31 = 41.9 %
    expected = {
        "first_contact": (2.1, 89, 65 / 73, "信息收集不全"),
        "needs_confirmed": (5.7, 63, 41 / 65, "客户响应慢"),
        "demo": (4.3, 76, 31 / 41, "技术评估延迟"),
        "quote_negotiation": (8.9, 42, 13 / 31, "价格异议处理不当"),
    }
    for stage, (avg_days, percent, exact_rate, top_reason) in expected.items():
        row = row_for(rows, stage)
        assert row.avg_days is not None and row.conversion_rate is not None
        assert round(row.avg_days, 1) == avg_days
        assert row.conversion_rate == pytest.approx(exact_rate)
        assert round(row.conversion_rate * 100) == percent
        assert row.top_lost_reasons[0][0] == top_reason
    contract = row_for(rows, "contract_approval")
    assert (contract.entered, contract.still_in_stage) == (13, 13)


def test_skipping_stages_forward_counts_as_advanced_and_going_back_does_not() -> None:
    assert DEFAULT_ORDER.classify_exit("first_contact", "quote_negotiation") is Outcome.ADVANCED
    assert DEFAULT_ORDER.classify_exit("demo", "first_contact") is Outcome.REGRESSED
    assert DEFAULT_ORDER.classify_exit("demo", "site_visit") is Outcome.REGRESSED
    assert DEFAULT_ORDER.classify_exit("demo", "won") is Outcome.WON
    assert DEFAULT_ORDER.classify_exit("first_contact", "lost") is Outcome.LOST


# --- the tier funnel ---------------------------------------------------------------------------


def lead(
    lead_id: str,
    seen: float,
    channel: str | None = "wechat",
    mql: float | None = None,
    sql: float | None = None,
    opportunity: float | None = None,
    won: float | None = None,
) -> LeadTierHistory:
    reached = {
        tier: day(at)
        for tier, at in ((Tier.MQL, mql), (Tier.SQL, sql), (Tier.OPPORTUNITY, opportunity))
        if at is not None
    }
    return LeadTierHistory(
        lead_id, day(seen), channel, "spring", reached, None if won is None else day(won)
    )


def test_tier_funnel_by_channel_counts_rates_and_median_days() -> None:
    leads = [
        lead("a", 0, mql=2, sql=6, opportunity=16, won=36),
        lead("b", 1, mql=3),
        lead("c", 4, sql=5),  # jumped straight to SQL: passed MQL at the same moment
        lead("d", 9),
        lead("e", 2, channel="website", mql=3, sql=4),
        lead("f", 31, channel="website", mql=32),  # first seen in February
    ]
    website, wechat = tier_funnel(leads, group_by="channel", period=JANUARY)  # sorted by name
    assert wechat.group == "wechat"
    assert list(wechat.counts.values()) == [4, 3, 2, 1, 1]
    assert wechat.step_conversion == pytest.approx(
        {FunnelStep.MQL: 3 / 4, FunnelStep.SQL: 2 / 3, FunnelStep.OPPORTUNITY: 1 / 2,
         FunnelStep.WON: 1.0}
    )  # fmt: skip
    assert wechat.mql_to_sql == pytest.approx(2 / 3)
    # lead→MQL: a 2, b 2, c 1; MQL→SQL: a 4, c 0; SQL→Opp: a 10; Opp→won: a 20
    assert wechat.median_days == pytest.approx(
        {FunnelStep.MQL: 2.0, FunnelStep.SQL: 2.0, FunnelStep.OPPORTUNITY: 10.0,
         FunnelStep.WON: 20.0}
    )  # fmt: skip
    assert website.group == "website"
    assert list(website.counts.values()) == [1, 1, 1, 0, 0]
    assert website.step_conversion[FunnelStep.OPPORTUNITY] == 0.0
    assert website.step_conversion[FunnelStep.WON] is None
    assert website.median_days[FunnelStep.OPPORTUNITY] is None


def test_tier_funnel_by_month_uses_the_given_time_zone() -> None:
    late_evening = LeadTierHistory("a", datetime(2024, 1, 31, 20, tzinfo=UTC))
    (utc,) = tier_funnel([late_evening], group_by="month")
    (shanghai,) = tier_funnel([late_evening], group_by="month", tz=ZoneInfo("Asia/Shanghai"))
    assert (utc.group, shanghai.group) == ("2024-01", "2024-02")


def test_leads_without_channel_group_as_unknown_and_no_grouping_gives_one_row() -> None:
    leads = [lead("a", 0, channel=None), lead("b", 0)]
    assert [row.group for row in tier_funnel(leads, group_by="channel")] == ["unknown", "wechat"]
    assert [row.group for row in tier_funnel(leads)] == ["all"]


def test_month_period_spans_the_calendar_month_in_the_time_zone() -> None:
    march = month_period("2024-03", ZoneInfo("Asia/Shanghai"))
    assert march.start == datetime(2024, 2, 29, 16, tzinfo=UTC)
    assert march.end == datetime(2024, 3, 31, 16, tzinfo=UTC)


# --- the sales cycle ---------------------------------------------------------------------------


def test_sales_cycle_averages_and_medians_per_month_of_winning() -> None:
    deals = [
        WonDeal("o1", day(34), day(64)),  # won 2024-03-05 after 30 days
        WonDeal("o2", day(40), day(80)),  # won 2024-03-21 after 40 days
        WonDeal("o3", day(10), day(90)),  # won 2024-03-31 after 80 days
        WonDeal("o4", day(82), day(92)),  # won 2024-04-02 after 10 days
    ]
    march, april = sales_cycle(deals)
    assert (march.month, march.deals) == ("2024-03", 3)
    assert march.avg_days == pytest.approx(50.0)
    assert march.median_days == pytest.approx(40.0)
    assert (april.month, april.deals) == ("2024-04", 1)
    assert april.avg_days == pytest.approx(10.0)
    assert sales_cycle(deals, period=month_period("2024-04")) == [april]


def test_won_deal_runs_from_the_first_stage_entry_to_the_first_win() -> None:
    won, advanced = Outcome.WON, Outcome.ADVANCED
    stays = [
        StageIntervalRow("o1", "first_contact", day(0), day(5), outcome=advanced, owner="li"),
        StageIntervalRow("o1", "demo", day(5), day(40), outcome=won, amount=300_000.0),
        StageIntervalRow("o1", "won", day(40)),  # a projector may keep a row for the won stage
        StageIntervalRow("o1", "demo", day(50), day(60), outcome=won),  # reopened: first win counts
        StageIntervalRow("o2", "first_contact", day(1)),
    ]
    (deal,) = won_deals(stays)
    assert (deal.opportunity_id, deal.first_contact_at, deal.won_at) == ("o1", day(0), day(40))
    assert (deal.owner, deal.amount, deal.cycle_days) == ("li", 300_000.0, 40.0)


# --- algebra -----------------------------------------------------------------------------------


@st.composite
def stage_stays(draw: st.DrawFn) -> StageIntervalRow:
    entered = draw(st.integers(0, 60))
    length = draw(st.none() | st.integers(0, 30))
    outcome = None if length is None else draw(st.sampled_from(list(Outcome)))
    return StageIntervalRow(
        opportunity_id=draw(st.sampled_from(["o1", "o2", "o3"])),
        stage=draw(st.sampled_from([*DEFAULT_ORDER.open_keys, "won", "site_visit"])),
        entered_at=day(entered),
        exited_at=None if length is None else day(entered + length),
        outcome=outcome,
        lost_reason=draw(st.sampled_from([None, "price"])) if outcome is Outcome.LOST else None,
    )


@given(st.lists(stage_stays(), max_size=40))
def test_stage_rows_balance_and_rates_stay_between_zero_and_one(
    stays: list[StageIntervalRow],
) -> None:
    for row in stage_table(stays, period=JANUARY):
        assert row.entered == row.exited + row.still_in_stage
        assert row.exited == row.advanced + row.won + row.lost + row.regressed
        assert row.conversion_rate is None or 0.0 <= row.conversion_rate <= 1.0
        assert row.avg_days is None or row.avg_days >= 0.0
        assert (row.median_days is None) == (row.exited == 0)
        if row.median_days is not None and row.p90_days is not None:
            assert row.median_days <= row.p90_days
        assert sum(count for _, count in row.top_lost_reasons) <= row.lost


optional_day = st.none() | st.integers(0, 60).map(float)
leads_strategy = st.lists(
    st.builds(
        lead,
        lead_id=st.text(min_size=1, max_size=4),
        seen=st.integers(0, 60).map(float),
        channel=st.sampled_from([None, "wechat", "ads"]),
        mql=optional_day,
        sql=optional_day,
        opportunity=optional_day,
        won=optional_day,
    ),
    max_size=30,
)


@given(leads_strategy)
def test_tier_counts_never_grow_down_the_funnel(leads: list[LeadTierHistory]) -> None:
    for row in tier_funnel(leads, group_by="channel"):
        counts = list(row.counts.values())
        assert counts == sorted(counts, reverse=True)
        assert all(r is None or 0.0 <= r <= 1.0 for r in row.step_conversion.values())
        assert all(d is None or d >= 0.0 for d in row.median_days.values())


@given(leads_strategy)
def test_channel_groups_add_up_to_the_whole_funnel(leads: list[LeadTierHistory]) -> None:
    whole = tier_funnel(leads, period=JANUARY)
    grouped = tier_funnel(leads, group_by="channel", period=JANUARY)
    for step in FunnelStep:
        total = whole[0].counts[step] if whole else 0
        assert sum(row.counts[step] for row in grouped) == total


def test_a_stage_list_needs_won_lost_and_an_open_stage_and_keeps_known_labels() -> None:
    order = stage_order(["first_contact", "discovery", "won", "lost"])
    assert order.open_keys == ("first_contact", "discovery")
    assert order.classify_exit("first_contact", "discovery") == Outcome.ADVANCED
    assert (
        order.label_zh("first_contact") == "初步接触" and order.label_zh("discovery") == "discovery"
    )
    for bad in (["first_contact", "won"], ["won", "lost"], ["demo", "demo", "won", "lost"]):
        with pytest.raises(ValueError):
            stage_order(bad)

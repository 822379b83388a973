"""Opportunities in the demo move through the stages like the source article's table says."""

from __future__ import annotations

from collections import Counter

import pytest

from demo.catalog import STAGE_TARGETS
from demo.opportunities import fit_mean
from funnel.model.intervals import stage_intervals
from funnel.model.maths import stage_table
from schemas.events import SalesStageChangedEvent
from services.risk.demo import stage_change_row
from tests.support.demo_factories import as_ingested, dataset

# The article's table: 初次接触 2.1 天 / 89 %, 需求确认 5.7 / 63 %,
# 方案演示 4.3 / 76 %, 报价谈判 8.9 / 42 %
ARTICLE = {
    "first_contact": (2.1, 0.89),
    "needs_confirmed": (5.7, 0.63),
    "demo": (4.3, 0.76),
    "quote_negotiation": (8.9, 0.42),
}


def _stage_rows(leads: int) -> dict[str, object]:
    changes = []
    for post in dataset(leads=leads).posts:
        if post.api != "stage_changes":
            continue
        event = as_ingested(post)
        assert isinstance(event, SalesStageChangedEvent)
        changes.append(stage_change_row(event, f"lead-{post.lead}"))
    return {row.stage: row for row in stage_table(stage_intervals(changes))}


@pytest.mark.parametrize("leads", [600, 2000])
def test_days_in_stage_and_conversion_are_the_articles(leads: int) -> None:
    rows = _stage_rows(leads)

    for stage, (days, conversion) in ARTICLE.items():
        row = rows[stage]
        assert row.avg_days == pytest.approx(days, abs=0.05), stage  # type: ignore[attr-defined]
        assert row.conversion_rate == pytest.approx(conversion, abs=0.03), stage  # type: ignore[attr-defined]


def test_some_opportunities_are_still_open_and_some_won() -> None:
    rows = _stage_rows(600)

    assert sum(row.still_in_stage for row in rows.values()) > 0  # type: ignore[attr-defined]
    assert rows["contract_approval"].won > 0  # type: ignore[attr-defined]


def test_the_articles_stall_point_is_each_stages_top_lost_reason() -> None:
    rows = _stage_rows(2000)

    for target in STAGE_TARGETS[:4]:
        top_reason, _ = rows[target.stage].top_lost_reasons[0]  # type: ignore[attr-defined]
        assert top_reason == target.lost_reasons[0][0]


def test_fitted_days_hit_the_target_mean_without_passing_now() -> None:
    fitted = fit_mean([1.0, 2.0, 3.0, 10.0], [100.0, 100.0, 100.0, 10.5], target=5.0)

    assert sum(fitted) / 4 == pytest.approx(5.0, abs=0.01)
    assert fitted[3] <= 10.5


def test_deal_sizes_put_some_wins_above_the_high_value_bar() -> None:
    amounts = Counter(plan.amount >= 100_000 for plan in dataset(leads=2000).opportunities)

    assert 0.2 < amounts[True] / sum(amounts.values()) < 0.45

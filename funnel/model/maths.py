"""Funnel maths: the per-stage table, the tier funnel and the sales cycle, from plain rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from funnel.model.periods import Period, days_between, in_period, mean, median, month_of, p90, ratio
from funnel.model.rows import StageIntervalRow
from funnel.model.stages import DEFAULT_ORDER, Outcome, StageOrder
from funnel.model.tiers import FunnelStep, LeadTierHistory, TierFunnelRow, reach_times, tier_funnel

__all__ = [
    "FunnelStep",
    "LeadTierHistory",
    "Period",
    "SalesCycleRow",
    "StageRow",
    "TierFunnelRow",
    "WonDeal",
    "reach_times",
    "sales_cycle",
    "stage_table",
    "tier_funnel",
    "won_deals",
]


UNSPECIFIED_REASON = "unspecified"


@dataclass(frozen=True, slots=True)
class StageRow:
    """One row of the stage table: the cohort of stays that entered this stage in the period."""

    stage: str
    label_zh: str
    entered: int
    exited: int
    still_in_stage: int
    advanced: int
    won: int
    lost: int
    regressed: int
    avg_days: float | None
    median_days: float | None
    p90_days: float | None
    conversion_rate: float | None
    top_lost_reasons: tuple[tuple[str, int], ...]


def stage_table(
    intervals: Iterable[StageIntervalRow],
    order: StageOrder = DEFAULT_ORDER,
    period: Period | None = None,
    top_reasons: int = 3,
) -> list[StageRow]:
    """Per open stage, over stays whose `entered_at` is in the period: counts, days, conversion."""
    cohorts: dict[str, list[StageIntervalRow]] = defaultdict(list)
    for interval in intervals:
        if not order.is_terminal(interval.stage) and in_period(interval.entered_at, period):
            cohorts[interval.stage].append(interval)
    unknown = sorted(set(cohorts) - set(order.open_keys))
    return [
        _stage_row(key, order.label_zh(key), cohorts.get(key, []), top_reasons)
        for key in (*order.open_keys, *unknown)
    ]


def _stage_row(stage: str, label: str, stays: list[StageIntervalRow], top: int) -> StageRow:
    exits = [stay for stay in stays if stay.exited_at is not None]
    days = [days_between(stay.entered_at, stay.exited_at) for stay in exits if stay.exited_at]
    outcomes = Counter(stay.outcome for stay in exits)
    reasons = Counter(
        stay.lost_reason or UNSPECIFIED_REASON for stay in exits if stay.outcome == Outcome.LOST
    )
    return StageRow(
        stage=stage,
        label_zh=label,
        entered=len(stays),
        exited=len(exits),
        still_in_stage=len(stays) - len(exits),
        advanced=outcomes[Outcome.ADVANCED],
        won=outcomes[Outcome.WON],
        lost=outcomes[Outcome.LOST],
        regressed=outcomes[Outcome.REGRESSED],
        avg_days=mean(days),
        median_days=median(days),
        p90_days=p90(days),
        conversion_rate=ratio(outcomes[Outcome.ADVANCED] + outcomes[Outcome.WON], len(exits)),
        top_lost_reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:top]),
    )


@dataclass(frozen=True, slots=True)
class WonDeal:
    """An opportunity that was won: when its first stage began, when it was won, for how much."""

    opportunity_id: str
    first_contact_at: datetime
    won_at: datetime
    owner: str | None = None
    amount: float | None = None

    @property
    def cycle_days(self) -> float:
        """Days from first contact to won."""
        return days_between(self.first_contact_at, self.won_at)


def won_deals(intervals: Iterable[StageIntervalRow]) -> list[WonDeal]:
    """One deal per won opportunity: its first win, measured from its earliest stage entry."""
    by_opportunity: dict[str, list[StageIntervalRow]] = defaultdict(list)
    for interval in intervals:
        by_opportunity[interval.opportunity_id].append(interval)
    deals: list[WonDeal] = []
    for opportunity_id, stays in sorted(by_opportunity.items()):
        wins = [s.exited_at for s in stays if s.outcome == Outcome.WON and s.exited_at]
        if wins:
            deals.append(_deal(opportunity_id, stays, min(wins)))
    return deals


def _deal(opportunity_id: str, stays: list[StageIntervalRow], won_at: datetime) -> WonDeal:
    before = sorted((s for s in stays if s.entered_at <= won_at), key=lambda s: s.entered_at)
    # owner and amount: the latest known up to the win, whichever row carried them
    owner = next((s.owner for s in reversed(before) if s.owner is not None), None)
    amount = next((s.amount for s in reversed(before) if s.amount is not None), None)
    return WonDeal(opportunity_id, before[0].entered_at, won_at, owner, amount)


@dataclass(frozen=True, slots=True)
class SalesCycleRow:
    """Sales cycle of the deals won in one calendar month."""

    month: str
    deals: int
    avg_days: float | None
    median_days: float | None


def sales_cycle(
    deals: Iterable[WonDeal], period: Period | None = None, tz: tzinfo = UTC
) -> list[SalesCycleRow]:
    """Average and median days from first contact to won, per month of `won_at` in the period."""
    by_month: dict[str, list[float]] = defaultdict(list)
    for deal in deals:
        if in_period(deal.won_at, period):
            by_month[month_of(deal.won_at, tz)].append(deal.cycle_days)
    return [
        SalesCycleRow(month, len(days), mean(days), median(days))
        for month, days in sorted(by_month.items())
    ]

"""The four raw measures behind the monthly health check, each over one event-time window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from funnel.model.maths import WonDeal
from funnel.model.periods import Period, mean, ratio
from funnel.model.rows import StageIntervalRow
from funnel.model.stages import DEFAULT_ORDER, StageOrder
from funnel.model.tiers import FunnelStep, LeadTierHistory, reach_times


@dataclass(frozen=True, slots=True)
class Measure:
    """A measured value with the counts it came from; `value` is None when nothing was counted."""

    value: float | None
    numerator: float
    denominator: int


def mql_to_sql(leads: Iterable[LeadTierHistory], window: Period, as_of: datetime) -> Measure:
    """Of the leads that reached MQL in the window, the share that reached SQL by `as_of`."""
    mqls = sql = 0
    for lead in leads:
        times = reach_times(lead)
        mql_at = times.get(FunnelStep.MQL)
        if mql_at is None or not window.contains(mql_at) or mql_at > as_of:
            continue
        mqls += 1
        sql_at = times.get(FunnelStep.SQL)
        sql += sql_at is not None and sql_at <= as_of
    return Measure(ratio(sql, mqls), sql, mqls)


def won_in(deals: Iterable[WonDeal], window: Period, as_of: datetime) -> list[WonDeal]:
    """Deals won inside the window and no later than `as_of`."""
    return [deal for deal in deals if window.contains(deal.won_at) and deal.won_at <= as_of]


def average_cycle(deals: Iterable[WonDeal]) -> Measure:
    """Mean days from first contact to won over the given deals."""
    days = [deal.cycle_days for deal in deals]
    return Measure(mean(days), sum(days), len(days))


def high_value_share(deals: Iterable[WonDeal], amount_at_least: float) -> Measure:
    """Share of deals with a known amount whose amount is at least the threshold."""
    amounts = [deal.amount for deal in deals if deal.amount is not None]
    high = sum(1 for amount in amounts if amount >= amount_at_least)
    return Measure(ratio(high, len(amounts)), high, len(amounts))


def updates_on_time(
    stays: Iterable[StageIntervalRow],
    window: Period,
    as_of: datetime,
    sla_days: Mapping[str, float],
    default_sla_days: float,
    order: StageOrder = DEFAULT_ORDER,
) -> Measure:
    """Of the open-stage stays due in the window (entry + SLA), the share left by their due time
    by a move that passed the gate of the stage it entered (funnel/model/gates.py)."""
    due_until = min(window.end, as_of)
    due = on_time = 0
    for stay in stays:
        if order.is_terminal(stay.stage):
            continue
        deadline = stay.entered_at + timedelta(days=sla_days.get(stay.stage, default_sla_days))
        if not window.start <= deadline < due_until:
            continue
        due += 1
        left_in_time = stay.exited_at is not None and stay.exited_at <= deadline
        on_time += left_in_time and not stay.exit_gate_missing  # a move past its gate: late
    return Measure(ratio(on_time, due), on_time, due)

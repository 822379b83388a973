"""Channel quality and cost: marketing spend beside the tier funnel's cohort, cost per step.

Pure: the spend rows and the tier funnel's counts come in, cost rows go out. A month's spend
counts with the share of the month's time that lies inside the period (spend is taken as spread
evenly over its month), so whole months count whole and a half month counts half; docs/metrics.md
"Channel cost" has the worked example.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Literal

from funnel.model.periods import Period, month_period
from funnel.model.tiers import ALL_GROUP, STEPS, UNKNOWN_GROUP, FunnelStep

CostGroupBy = Literal["channel", "campaign"]
GroupKey = tuple[str, str | None]  # (channel, campaign); campaign None when grouped by channel
Counts = Mapping[FunnelStep, int]


@dataclass(frozen=True, slots=True)
class MonthSpend:
    """What a channel (campaign None: no campaign) cost in a calendar month YYYY-MM."""

    channel: str
    campaign: str | None
    month: str
    amount: float


@dataclass(frozen=True, slots=True)
class CostRow:
    """One channel (or campaign): spend counted in the period, cohort counts, cost per step.

    `spend` is None when no spend was posted for any month the period touches: the cost is
    unknown then, not zero (post 0 for a channel that is free).
    """

    channel: str
    campaign: str | None
    spend: float | None
    counts: dict[FunnelStep, int]
    cost_per: dict[FunnelStep, float | None]


def month_share(month: str, period: Period | None, tz: tzinfo = UTC) -> float:
    """The share (0..1) of calendar month `month` (in `tz`) that lies inside the period."""
    if period is None:
        return 1.0
    whole = month_period(month, tz)
    start, end = max(whole.start, period.start), min(whole.end, period.end)
    if end <= start:
        return 0.0
    if start == whole.start and end == whole.end:
        return 1.0  # exactly, whatever the month's length
    return (end - start).total_seconds() / (whole.end - whole.start).total_seconds()


def group_of(channel: str, campaign: str | None, group_by: CostGroupBy) -> GroupKey:
    """The row a spend row or a lead belongs to (campaign missing → `unknown`, as the funnel)."""
    return (channel, campaign or UNKNOWN_GROUP) if group_by == "campaign" else (channel, None)


def spend_by_group(
    spend: Iterable[MonthSpend], group_by: CostGroupBy, period: Period | None, tz: tzinfo = UTC
) -> dict[GroupKey, float]:
    """Spend counted in the period per group; a group with posted months touched is present."""
    parts: dict[GroupKey, list[float]] = defaultdict(list)
    for row in spend:
        share = month_share(row.month, period, tz)
        if share > 0:
            parts[group_of(row.channel, row.campaign, group_by)].append(row.amount * share)
    return {key: math.fsum(amounts) for key, amounts in parts.items()}


def cost_per(spend: float | None, counts: Counts) -> dict[FunnelStep, float | None]:
    """spend ÷ count per step; None when the count is 0 or the spend is unknown."""
    return {
        step: spend / counts.get(step, 0) if spend is not None and counts.get(step, 0) else None
        for step in STEPS
    }


def _row(channel: str, campaign: str | None, spend: float | None, counts: Counts) -> CostRow:
    full = {step: counts.get(step, 0) for step in STEPS}
    return CostRow(channel, campaign, spend, full, cost_per(spend, full))


def cost_rows(
    spend: Iterable[MonthSpend],
    cohorts: Mapping[GroupKey, Counts],
    group_by: CostGroupBy,
    period: Period | None,
    tz: tzinfo = UTC,
) -> list[CostRow]:
    """One row per group with spend or leads, sorted by channel then campaign.

    `cohorts`: the tier funnel's counts per group for the leads first seen in the period.
    """
    spent = spend_by_group(spend, group_by, period, tz)
    keys = sorted(set(spent) | set(cohorts), key=lambda key: (key[0], key[1] or ""))
    return [_row(*key, spent.get(key), cohorts.get(key, {})) for key in keys]


def total_row(rows: Iterable[CostRow]) -> CostRow:
    """Every group together (channel `all`): spend and counts summed, cost per step again."""
    rows = list(rows)
    known = [row.spend for row in rows if row.spend is not None]
    spend = math.fsum(known) if known else None
    counts = {step: sum(row.counts[step] for row in rows) for step in STEPS}
    return _row(ALL_GROUP, None, spend, counts)

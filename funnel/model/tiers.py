"""The tier funnel: leads reaching lead → MQL → SQL → Opportunity → won, grouped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from itertools import pairwise
from typing import Literal

from funnel.model.periods import Period, days_between, in_period, median, month_of, ratio
from schemas.outgoing import Tier

GroupBy = Literal["channel", "campaign", "month"]
UNKNOWN_GROUP = "unknown"
ALL_GROUP = "all"


class FunnelStep(StrEnum):
    """Steps of the tier funnel, top first."""

    LEAD = "lead"
    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    WON = "won"


STEPS: tuple[FunnelStep, ...] = tuple(FunnelStep)


@dataclass(frozen=True, slots=True)
class LeadTierHistory:
    """A lead's first sighting, first-touch attribution and when it first reached each tier."""

    lead_id: str
    first_seen_at: datetime
    channel: str | None = None
    campaign: str | None = None
    reached: Mapping[Tier, datetime] = field(default_factory=dict)
    won_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TierFunnelRow:
    """One group of the tier funnel; rates and medians are keyed by the step reached."""

    group: str
    counts: dict[FunnelStep, int]
    step_conversion: dict[FunnelStep, float | None]
    median_days: dict[FunnelStep, float | None]

    @property
    def mql_to_sql(self) -> float | None:
        """Share of the group's MQLs that reached SQL."""
        return self.step_conversion[FunnelStep.SQL]


def reach_times(lead: LeadTierHistory) -> dict[FunnelStep, datetime]:
    """When the lead reached each step; a skipped step counts as passed when a later one was hit."""
    explicit: dict[FunnelStep, datetime | None] = {
        FunnelStep.LEAD: lead.first_seen_at,
        FunnelStep.MQL: lead.reached.get(Tier.MQL),
        FunnelStep.SQL: lead.reached.get(Tier.SQL),
        FunnelStep.OPPORTUNITY: lead.reached.get(Tier.OPPORTUNITY),
        FunnelStep.WON: lead.won_at,
    }
    times: dict[FunnelStep, datetime] = {}
    later: datetime | None = None
    for step in reversed(STEPS):
        own = explicit[step]
        # the earliest of this step and any later one, so times never decrease down the funnel
        candidates = [t for t in (own, later) if t is not None]
        if candidates:
            later = min(candidates)
            times[step] = later
    return times


def tier_funnel(
    leads: Iterable[LeadTierHistory],
    group_by: GroupBy | None = None,
    period: Period | None = None,
    tz: tzinfo = UTC,
) -> list[TierFunnelRow]:
    """Tier funnel for leads whose `first_seen_at` is in the period, one row per group, sorted."""
    groups: dict[str, list[dict[FunnelStep, datetime]]] = defaultdict(list)
    for lead in leads:
        if in_period(lead.first_seen_at, period):
            groups[_group_key(lead, group_by, tz)].append(reach_times(lead))
    return [_row(key, groups[key]) for key in sorted(groups)]


def _group_key(lead: LeadTierHistory, group_by: GroupBy | None, tz: tzinfo) -> str:
    match group_by:
        case "channel":
            return lead.channel or UNKNOWN_GROUP
        case "campaign":
            return lead.campaign or UNKNOWN_GROUP
        case "month":
            return month_of(lead.first_seen_at, tz)
        case _:
            return ALL_GROUP


def _row(group: str, leads: list[dict[FunnelStep, datetime]]) -> TierFunnelRow:
    counts = {step: sum(1 for times in leads if step in times) for step in STEPS}
    conversion: dict[FunnelStep, float | None] = {}
    days: dict[FunnelStep, float | None] = {}
    for before, step in pairwise(STEPS):
        conversion[step] = ratio(counts[step], counts[before])
        gaps = [days_between(t[before], t[step]) for t in leads if step in t]
        days[step] = median(gaps)
    return TierFunnelRow(group, counts, conversion, days)

"""From read-model rows to the month's facts per rep, the team tables, trends and streaks (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from alerts.model.measures import updates_on_time
from funnel.model.periods import month_of, month_period
from funnel.model.rows import StageIntervalRow
from funnel.model.stages import DEFAULT_ORDER, StageOrder
from performance.model.kpi import RepFacts, RepKpi, team_kpis, top_streak
from performance.model.rules import PointsRules

PointsRow = tuple[str, str, str, float, int]  # owner, month, rule, points, activities


@dataclass(frozen=True, slots=True)
class Sla:
    """The stage SLAs of the health check: how long a deal may stay in a stage (days)."""

    days: Mapping[str, float]
    default_days: float


def facts_by_month(
    months: Sequence[str],
    points: Iterable[PointsRow],
    stays: Sequence[StageIntervalRow],
    rules: PointsRules,
    *,
    tz: tzinfo,
    as_of: datetime,
    sla: Sla,
    order: StageOrder = DEFAULT_ORDER,
) -> dict[str, dict[str, RepFacts]]:
    """month → rep → what the rep did that month (points, deals, stays due, new customers)."""
    wanted = set(months)
    facts: dict[str, dict[str, RepFacts]] = {month: {} for month in months}

    def get(month: str, owner: str) -> RepFacts:
        return facts[month].get(owner) or RepFacts(owner)

    for owner, month, _, value, _ in points:
        if month in wanted:
            known = get(month, owner)
            facts[month][owner] = replace(known, points=known.points + value)
    customers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for stay in stays:
        if stay.owner is None or stay.exited_at is None or stay.outcome not in ("won", "lost"):
            continue
        month = month_of(stay.exited_at, tz)
        if month not in wanted:
            continue
        known = get(month, stay.owner)
        if stay.outcome == "lost":
            facts[month][stay.owner] = replace(known, lost=known.lost + 1)
            continue
        # a stay keeps the currency of the change that opened it; none named: the KPI's own
        same = stay.currency in (None, rules.kpi.currency)
        amount = stay.amount if same and stay.amount else 0.0
        customers[month, stay.owner].add(stay.lead_id or stay.opportunity_id)
        facts[month][stay.owner] = replace(
            known,
            won=known.won + 1,
            won_amount=known.won_amount + amount,
            new_customers=len(customers[month, stay.owner]),
        )
    by_owner: dict[str, list[StageIntervalRow]] = defaultdict(list)
    for stay in stays:
        if stay.owner is not None:
            by_owner[stay.owner].append(stay)
    for month in months:
        period = month_period(month, tz)
        for owner, owned in by_owner.items():
            measure = updates_on_time(owned, period, as_of, sla.days, sla.default_days, order)
            if measure.denominator:
                known = get(month, owner)
                facts[month][owner] = replace(
                    known, due=measure.denominator, on_time=int(measure.numerator)
                )
    return facts


def members(team: str, month_facts: Mapping[str, RepFacts], rules: PointsRules) -> list[str]:
    """The reps of a team in a month: those the file lists, and any other rep of that team
    (the default team: every rep the file lists nowhere) with something that month."""
    listed = set(rules.teams.get(team, ()))
    seen = {owner for owner in month_facts if rules.team_of(owner) == team}
    return sorted(listed | seen)


def team_table(team: str, month_facts: Mapping[str, RepFacts], rules: PointsRules) -> list[RepKpi]:
    """The team's reps in one month, ranked by KPI."""
    reps = [
        month_facts.get(owner) or RepFacts(owner) for owner in members(team, month_facts, rules)
    ]
    return team_kpis(reps, rules.kpi)


def ranks_of(owner: str, tables: Mapping[str, Sequence[RepKpi]]) -> dict[str, int | None]:
    """month → the rep's rank in the month's team table (None when not in it or idle)."""
    return {
        month: next(
            (row.rank for row in table if row.owner == owner and not row.facts.is_idle), None
        )
        for month, table in tables.items()
    }


def streak(owner: str, month: str, tables: Mapping[str, Sequence[RepKpi]], top: int) -> int:
    """Months in a row, ending with `month`, the rep ranked in the team's top `top`."""
    return top_streak(ranks_of(owner, tables), month, top)

"""The KPI view: results 60 %, process 40 %, each measure scaled within the team; ranks, streaks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from performance.model.rules import KpiPolicy


@dataclass(frozen=True, slots=True)
class RepFacts:
    """What one rep did in one month, as the KPI reads it."""

    owner: str
    points: float = 0.0
    won_amount: float = 0.0  # amounts of the deals won, in the KPI's currency
    won: int = 0  # opportunities won in the month
    lost: int = 0  # opportunities lost in the month
    due: int = 0  # stage stays that fell due in the month (docs/metrics.md, health check)
    on_time: int = 0  # of those, the ones updated by their due time
    new_customers: int = 0  # distinct leads with a deal the rep won in the month

    @property
    def is_idle(self) -> bool:
        """Nothing at all this month: ranked last, and no month of a top streak."""
        return not (self.points or self.won or self.lost or self.due)


@dataclass(frozen=True, slots=True)
class RepKpi:
    """A rep's KPI in a month and where it ranks in the team (1 = best)."""

    owner: str
    rank: int
    kpi: float  # 0..100
    results: float  # 0..1
    process: float  # 0..1
    measures: dict[str, float]  # each 0..1: won_amount, conversion, points, on_time, new_customers
    facts: RepFacts


def rate(part: int, whole: int) -> float:
    """part / whole, 0 when there is nothing to count (no evidence earns nothing)."""
    return part / whole if whole else 0.0


def scaled(value: float, best: float) -> float:
    """A value as a share of the team's best, 0..1; negatives count as 0."""
    return max(value, 0.0) / best if best > 0 else 0.0


def measures(rep: RepFacts, team: Sequence[RepFacts]) -> dict[str, float]:
    """The five measures of one rep, each 0..1: rates as they are, amounts and counts scaled by
    the team's best this month."""
    return {
        "won_amount": scaled(rep.won_amount, max(r.won_amount for r in team)),
        "conversion": rate(rep.won, rep.won + rep.lost),
        "points": scaled(rep.points, max(r.points for r in team)),
        "on_time": rate(rep.on_time, rep.due),
        "new_customers": scaled(rep.new_customers, max(r.new_customers for r in team)),
    }


def kpi_of(values: Mapping[str, float], policy: KpiPolicy) -> tuple[float, float, float]:
    """(kpi 0..100, results 0..1, process 0..1) from the five measures."""
    results = sum(values[name] * weight for name, weight in policy.results)
    process = sum(values[name] * weight for name, weight in policy.process)
    return (
        100 * (policy.results_weight * results + policy.process_weight * process),
        results,
        process,
    )


def team_kpis(team: Sequence[RepFacts], policy: KpiPolicy) -> list[RepKpi]:
    """Every rep of a team with KPI and rank, best first; ties go to more points, then by name."""
    if not team:
        return []
    scored = []
    for rep in team:
        values = measures(rep, team)
        kpi, results, process = kpi_of(values, policy)
        scored.append((round(kpi, 6), rep, values, results, process))
    scored.sort(key=lambda item: (-item[0], -item[1].points, item[1].owner))
    return [
        RepKpi(rep.owner, rank, kpi, results, process, values, rep)
        for rank, (kpi, rep, values, results, process) in enumerate(scored, 1)
    ]


def months_back(month: str, count: int) -> list[str]:
    """`count` calendar months `YYYY-MM` ending with `month`, oldest first."""
    year, number = int(month[:4]), int(month[5:7])
    index = year * 12 + number - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def top_streak(ranks: Mapping[str, int | None], month: str, top: int) -> int:
    """How many months in a row, ending with `month`, the rep ranked in the top `top`."""
    streak = 0
    for earlier in reversed(months_back(month, len(ranks) + 1)):
        rank = ranks.get(earlier)
        if rank is None or rank > top:
            break
        streak += 1
    return streak

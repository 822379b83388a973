"""Rep performance endpoints: a rep's monthly points, KPI, rank and trend; a team's leaderboard."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from funnel.model.periods import month_of, month_period
from funnel.model.stages import StageOrder
from funnel.store import points_reads
from performance.model.kpi import RepKpi, months_back
from performance.model.report import PointsRow, Sla, facts_by_month, streak, team_table
from performance.model.rules import PointsRules, load_points
from performance.store import points as store
from runtime.http_errors import api_error
from services.access import Principal
from services.query.auth import PrincipalDep, ReadAccess
from services.query.deps import PoolDep, SettingsDep, StageOrderDep
from services.query.performance_models import (
    KpiOut,
    LeaderboardOut,
    LeaderRow,
    RepPointsOut,
    RuleOut,
    TeamOut,
    TeamsOut,
    TrendOut,
)
from services.settings import Settings

ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no read token"},
    403: {"description": "not a read token, or a rep token asking for another rep's figures"},
    404: {"description": "no such team in the points file"},
}
router = APIRouter(prefix="/v1", tags=["performance"], dependencies=[ReadAccess], responses=ANSWERS)
MonthParam = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; default: this month"),
]
MonthsParam = Annotated[int, Query(ge=1, le=24, description="months of trend, this one included")]


@lru_cache(maxsize=4)
def points_rules(path: str) -> PointsRules:
    """The points file the projector awards under (LEADFUNNEL_POINTS_RULES_PATH)."""
    return load_points(path)


@dataclass(frozen=True, slots=True)
class Reader:
    """Who asks, and what every performance answer is computed with."""

    pool: Any
    settings: Settings
    order: StageOrder
    principal: Principal

    @property
    def rules(self) -> PointsRules:
        """The points file in force."""
        return points_rules(self.settings.points_rules_path)

    @property
    def tz(self) -> ZoneInfo:
        """The zone calendar months are cut in (the health check's)."""
        return ZoneInfo(self.settings.health_check_timezone)

    def month(self, asked: str | None) -> str:
        """The month asked for, else this one."""
        return asked or month_of(datetime.now(UTC), self.tz)

    def refuse_reps(self) -> None:
        """A 403 for a rep token: team figures are for managers."""
        if self.principal.owner_scope is not None:
            raise api_error(403, "forbidden", "a rep token reads only its own figures")


def reader(
    pool: PoolDep, settings: SettingsDep, order: StageOrderDep, principal: PrincipalDep
) -> Reader:
    """The request's reader (a dependency)."""
    return Reader(pool, settings, order, principal)


ReaderDep = Annotated[Reader, Depends(reader)]


def _kpi(row: RepKpi) -> KpiOut:
    return KpiOut(
        kpi=round(row.kpi, 2),
        results=round(row.results, 4),
        process=round(row.process, 4),
        measures={name: round(value, 4) for name, value in row.measures.items()},
        facts={k: v for k, v in asdict(row.facts).items() if k != "owner"},
    )


async def _tables(
    reader: Reader, team: str, month: str, count: int
) -> tuple[dict[str, list[RepKpi]], list[PointsRow]]:
    """The team's ranked table for each of `count` months ending with `month`."""
    rules, tz, thresholds = reader.rules, reader.tz, reader.settings.health_thresholds
    months = months_back(month, max(count, rules.kpi.streak_months))
    start, end = month_period(months[0], tz).start, month_period(months[-1], tz).end
    longest = max([thresholds.default_stage_sla_days, *thresholds.stage_sla_days.values()])
    points = await store.points_by_rule(reader.pool, start, end, str(tz))
    stays = await points_reads.kpi_stays(reader.pool, start, end, start - timedelta(days=longest))
    facts = facts_by_month(
        months,
        points,
        stays,
        rules,
        tz=tz,
        as_of=datetime.now(UTC),
        sla=Sla(thresholds.stage_sla_days, thresholds.default_stage_sla_days),
        order=reader.order,
    )
    return {m: team_table(team, facts[m], rules) for m in months}, points


@router.get("/teams", summary="Teams and their reps", operation_id="get_teams")
async def get_teams(reader: ReaderDep) -> TeamsOut:
    """The teams of the points file with their reps; a rep token learns only whose it is."""
    rules, rep = reader.rules, reader.principal.owner_scope
    teams = [] if rep else [TeamOut(team=t, reps=list(owners)) for t, owners in rules.teams.items()]
    return TeamsOut(
        rules_version=rules.version, default_team=rules.default_team, teams=teams, rep=rep
    )


@router.get(
    "/reps/{owner}/points",
    summary="A rep's points, KPI and rank this month, with the trend",
    operation_id="get_rep_points",
)
async def get_rep_points(
    owner: str, reader: ReaderDep, month: MonthParam = None, months: MonthsParam = 6
) -> RepPointsOut:
    """Points per rule, KPI, rank in the team and the months before (a rep: only its own)."""
    if reader.principal.owner_scope not in (None, owner):
        raise api_error(403, "forbidden", "a rep token reads only its own figures")
    month, rules = reader.month(month), reader.rules
    team = rules.team_of(owner)
    tables, points = await _tables(reader, team, month, months)
    rows = {m: next((r for r in table if r.owner == owner), None) for m, table in tables.items()}
    me = rows[month]
    descriptions = {rule.id: rule.description for rule in rules.rules}
    breakdown = [
        RuleOut(rule_id=rule, description=descriptions.get(rule, ""), points=value, activities=n)
        for who, when, rule, value, n in sorted(points, key=lambda p: p[2])
        if (who, when) == (owner, month)
    ]
    top = streak(owner, month, tables, rules.kpi.top)
    return RepPointsOut(
        owner=owner,
        team=team,
        month=month,
        rules_version=rules.version,
        points=sum(item.points for item in breakdown),
        breakdown=breakdown,
        rank=me.rank if me else None,
        team_size=len(tables[month]),
        kpi=_kpi(me) if me else None,
        top=rules.kpi.top,
        top_streak=top,
        in_top_streak=top >= rules.kpi.streak_months,
        trend=[
            TrendOut(
                month=m,
                points=row.facts.points if row else 0.0,
                rank=row.rank if row else None,
                kpi=round(row.kpi, 2) if row else None,
            )
            for m, row in list(rows.items())[-months:]
        ],
    )


@router.get(
    "/teams/{team}/leaderboard",
    summary="A team's reps ranked by KPI in a month",
    operation_id="get_team_leaderboard",
)
async def get_team_leaderboard(
    team: str, reader: ReaderDep, month: MonthParam = None
) -> LeaderboardOut:
    """Every rep of the team with KPI, points and streak (managers; a rep reads its own page)."""
    reader.refuse_reps()
    rules = reader.rules
    if team not in rules.teams and team != rules.default_team:
        raise api_error(404, "not_found", f"no team {team[:50]!r} in the points file")
    month = reader.month(month)
    tables, points = await _tables(reader, team, month, 1)
    members = {row.owner for row in tables[month]}
    by_rule: dict[str, float] = {}
    for who, when, rule, value, _ in points:
        if when == month and who in members:
            by_rule[rule] = by_rule.get(rule, 0.0) + value
    top, run = rules.kpi.top, rules.kpi.streak_months
    reps = []
    for row in tables[month]:
        months_in_top = streak(row.owner, month, tables, top)
        reps.append(
            LeaderRow(
                rank=row.rank,
                owner=row.owner,
                points=row.facts.points,
                top_streak=months_in_top,
                in_top_streak=months_in_top >= run,
                **_kpi(row).model_dump(),
            )
        )
    return LeaderboardOut(
        team=team,
        month=month,
        rules_version=rules.version,
        top=top,
        streak_months=run,
        points=sum(by_rule.values()),
        points_by_rule=dict(sorted(by_rule.items())),
        reps=reps,
    )

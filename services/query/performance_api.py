"""Rep performance endpoints: a rep's monthly points, KPI, rank and trend; a team's leaderboard."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from funnel.periods import month_of, month_period
from performance import store
from performance.kpi import RepKpi, months_back
from performance.report import Sla, facts_by_month, streak, team_table
from performance.rules import PointsRules, load_points
from services.access import Role
from services.http_errors import api_error
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


def _kpi(row: RepKpi) -> KpiOut:
    return KpiOut(
        kpi=round(row.kpi, 2),
        results=round(row.results, 4),
        process=round(row.process, 4),
        measures={name: round(value, 4) for name, value in row.measures.items()},
        facts={k: v for k, v in asdict(row.facts).items() if k != "owner"},
    )


async def _tables(
    pool: Any, settings: Settings, order: Any, team: str, month: str, count: int
) -> tuple[PointsRules, dict[str, list[RepKpi]], list[tuple[str, str, str, float, int]]]:
    """The team's ranked table for each of `count` months ending with `month`."""
    rules = points_rules(settings.points_rules_path)
    tz = ZoneInfo(settings.health_check_timezone)
    months = months_back(month, max(count, rules.kpi.streak_months))
    start, end = month_period(months[0], tz).start, month_period(months[-1], tz).end
    thresholds = settings.health_thresholds
    longest = max([thresholds.default_stage_sla_days, *thresholds.stage_sla_days.values()])
    points = await store.points_by_rule(pool, start, end, settings.health_check_timezone)
    stays = await store.stays_for_kpi(pool, start, end, start - timedelta(days=longest))
    facts = facts_by_month(
        months,
        points,
        stays,
        rules,
        tz=tz,
        as_of=datetime.now(UTC),
        sla=Sla(thresholds.stage_sla_days, thresholds.default_stage_sla_days),
        order=order,
    )
    tables = {m: team_table(team, facts[m], rules) for m in months}
    return rules, tables, points


def _this_month(settings: Settings) -> str:
    return month_of(datetime.now(UTC), ZoneInfo(settings.health_check_timezone))


@router.get("/teams", summary="Teams and their reps", operation_id="get_teams")
async def get_teams(settings: SettingsDep, principal: PrincipalDep) -> TeamsOut:
    """The teams of the points file with the reps it lists."""
    if principal.role is Role.REP:
        raise api_error(403, "forbidden", "a rep token reads only its own figures")
    rules = points_rules(settings.points_rules_path)
    teams = [TeamOut(team=name, reps=list(owners)) for name, owners in rules.teams.items()]
    return TeamsOut(rules_version=rules.version, default_team=rules.default_team, teams=teams)


@router.get(
    "/reps/{owner}/points",
    summary="A rep's points, KPI and rank this month, with the trend",
    operation_id="get_rep_points",
)
async def get_rep_points(
    owner: str,
    pool: PoolDep,
    settings: SettingsDep,
    order: StageOrderDep,
    principal: PrincipalDep,
    month: MonthParam = None,
    months: MonthsParam = 6,
) -> RepPointsOut:
    """Points per rule, KPI, rank in the team and the months before (a rep: only its own)."""
    if principal.owner_scope is not None and principal.owner_scope != owner:
        raise api_error(403, "forbidden", "a rep token reads only its own figures")
    month = month or _this_month(settings)
    rules = points_rules(settings.points_rules_path)
    team = rules.team_of(owner)
    rules, tables, points = await _tables(pool, settings, order, team, month, months)
    rows = {m: next((r for r in table if r.owner == owner), None) for m, table in tables.items()}
    me = rows[month]
    descriptions = {rule.id: rule.description for rule in rules.rules}
    mine = [p for p in points if p[0] == owner and p[1] == month]
    breakdown = [
        RuleOut(rule_id=rule, description=descriptions.get(rule, ""), points=value, activities=n)
        for _, _, rule, value, n in sorted(mine, key=lambda p: p[2])
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
    team: str,
    pool: PoolDep,
    settings: SettingsDep,
    order: StageOrderDep,
    principal: PrincipalDep,
    month: MonthParam = None,
) -> LeaderboardOut:
    """Every rep of the team with KPI, points and streak (managers; a rep reads its own page)."""
    if principal.role is Role.REP:
        raise api_error(403, "forbidden", "a rep token reads only its own figures")
    rules = points_rules(settings.points_rules_path)
    if team not in rules.teams and team != rules.default_team:
        raise api_error(404, "not_found", f"no team {team[:50]!r} in the points file")
    month = month or _this_month(settings)
    rules, tables, _ = await _tables(pool, settings, order, team, month, 1)
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
        team=team, month=month, rules_version=rules.version, top=top, streak_months=run, reps=reps
    )

"""The rep KPI: weights, scaling within the team, rank, top streak and the month's facts (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.model.rows import StageIntervalRow
from performance.model.kpi import RepFacts, months_back, team_kpis, top_streak
from performance.model.report import Sla, facts_by_month, streak, team_table
from performance.model.rules import load_points

RULES = load_points()
POLICY = RULES.kpi


def test_the_worked_example_of_the_docs() -> None:
    li = RepFacts("li.na", points=12, won_amount=100_000, won=1, due=2, on_time=2, new_customers=1)
    wang = RepFacts("wang.fang", points=2, lost=1, due=1, on_time=1)
    zhang = RepFacts("zhang.wei")
    ranked = team_kpis([zhang, wang, li], POLICY)
    assert [(r.owner, r.rank, round(r.kpi, 2)) for r in ranked] == [
        ("li.na", 1, 100.0),
        ("wang.fang", 2, 13.33),
        ("zhang.wei", 3, 0.0),
    ]
    assert ranked[1].measures == pytest.approx(
        {"won_amount": 0, "conversion": 0, "points": 2 / 12, "on_time": 1, "new_customers": 0}
    )


def test_results_weigh_sixty_and_process_forty_percent() -> None:
    closer = RepFacts("a", won_amount=1, won=1)  # all results, no process
    worker = RepFacts("b", points=10, due=1, on_time=1, new_customers=0)
    by_owner = {r.owner: r for r in team_kpis([closer, worker], POLICY)}
    assert by_owner["a"].kpi == pytest.approx(60.0)
    assert by_owner["b"].kpi == pytest.approx(40 * (0.5 + 0.25))


def test_ties_go_to_more_points_then_to_the_name() -> None:
    reps = [RepFacts("b", points=-3), RepFacts("c"), RepFacts("a")]
    assert [r.owner for r in team_kpis(reps, POLICY)] == ["a", "c", "b"]


def test_negative_points_count_as_nothing_not_less() -> None:
    [only] = team_kpis([RepFacts("a", points=-10)], POLICY)
    assert only.measures["points"] == 0 and only.kpi == 0


@pytest.mark.parametrize(
    ("ranks", "streak"),
    [
        ({"2026-01": 1, "2026-02": 2, "2026-03": 3}, 3),
        ({"2026-01": 1, "2026-02": 4, "2026-03": 3}, 1),
        ({"2026-01": 2, "2026-02": None, "2026-03": 1}, 1),
        ({"2026-01": 1, "2026-02": 1, "2026-03": 5}, 0),
        ({"2025-12": 1, "2026-01": 1, "2026-02": 1, "2026-03": 1}, 4),
    ],
)
def test_top_streak_counts_months_in_a_row_ending_with_the_month(
    ranks: dict[str, int | None], streak: int
) -> None:
    assert top_streak(ranks, "2026-03", 3) == streak


def test_months_back_crosses_the_year() -> None:
    assert months_back("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def _stay(owner: str, outcome: str | None, entered: datetime, days: float, **kw: object) -> object:
    return StageIntervalRow(
        opportunity_id=f"O-{owner}-{entered.day}",
        seq=0,
        lead_id=str(kw.get("lead", f"L-{owner}-{entered.day}")),
        stage="first_contact",
        entered_at=entered,
        entered_event_id="e",
        exited_at=None if outcome is None else entered + timedelta(days=days),
        outcome=outcome,
        owner=owner,
        amount=kw.get("amount"),  # type: ignore[arg-type]
        currency=kw.get("currency"),  # type: ignore[arg-type]
    )


def test_the_months_facts_come_from_points_and_stays() -> None:
    march = datetime(2026, 3, 2, tzinfo=UTC)
    stays = [
        _stay("li.na", "won", march, 3, amount=50_000.0, currency="CNY", lead="L1"),
        _stay("li.na", "won", march + timedelta(days=1), 3, amount=9.0, currency="USD", lead="L1"),
        _stay("li.na", "lost", march + timedelta(days=2), 10),  # due 9 Mar (7 days): late
        _stay("wang.fang", None, march, 0),  # still in first contact: late at its due moment
    ]
    points = [("li.na", "2026-03", "effective_follow_up", 4.0, 2), ("li.na", "2026-02", "x", 9, 1)]
    facts = facts_by_month(
        ["2026-03"],
        points,
        stays,  # type: ignore[arg-type]
        RULES,
        tz=UTC,
        as_of=datetime(2026, 4, 1, tzinfo=UTC),
        sla=Sla({"first_contact": 7.0}, 14.0),
    )["2026-03"]
    assert facts["li.na"] == RepFacts(
        "li.na", points=4, won_amount=50_000, won=2, lost=1, due=3, on_time=2, new_customers=1
    )
    assert facts["wang.fang"] == RepFacts("wang.fang", due=1, on_time=0)
    table = team_table("east", facts, RULES)
    assert [row.owner for row in table] == ["li.na", "liu.yang", "wang.fang", "zhang.wei"]


def test_a_month_with_nothing_done_breaks_a_top_streak_though_ranked() -> None:
    busy, idle = RepFacts("li.na", points=1), RepFacts("li.na")
    tables = {
        month: team_table("east", {"li.na": facts}, RULES)
        for month, facts in (("2026-01", busy), ("2026-02", idle), ("2026-03", busy))
    }
    assert [t[0].owner for t in tables.values()] == ["li.na"] * 3  # ranked first each month
    assert streak("li.na", "2026-03", tables, 3) == 1
    assert streak("li.na", "2026-01", tables, 3) == 1


# --- properties ------------------------------------------------------------------------------

reps = st.builds(
    RepFacts,
    owner=st.text("abcdef", min_size=1, max_size=4),
    points=st.floats(-50, 500),
    won_amount=st.floats(0, 1e7),
    won=st.integers(0, 20),
    lost=st.integers(0, 20),
    due=st.integers(0, 20),
    on_time=st.just(0),
    new_customers=st.integers(0, 20),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(reps, min_size=1, max_size=8, unique_by=lambda r: r.owner), st.data())
def test_kpis_are_bounded_ranks_a_permutation_and_order_free(
    team: list[RepFacts], data: st.DataObject
) -> None:
    team = [RepFacts(**{**_fields(r), "on_time": data.draw(st.integers(0, r.due))}) for r in team]
    ranked = team_kpis(team, POLICY)
    assert sorted(r.rank for r in ranked) == list(range(1, len(team) + 1))
    assert all(0 <= r.kpi <= 100 + 1e-9 for r in ranked)
    assert all(a.kpi >= b.kpi - 1e-6 for a, b in pairwise(ranked))
    shuffled = data.draw(st.permutations(team))
    assert [r.owner for r in team_kpis(shuffled, POLICY)] == [r.owner for r in ranked]
    # scaling: doubling every won amount (a currency change) changes no KPI
    doubled = [RepFacts(**{**_fields(r), "won_amount": 2 * r.won_amount}) for r in team]
    by_owner = {r.owner: r.kpi for r in team_kpis(doubled, POLICY)}
    assert all(by_owner[r.owner] == pytest.approx(r.kpi) for r in ranked)


def _fields(rep: RepFacts) -> dict[str, object]:
    return {name: getattr(rep, name) for name in RepFacts.__dataclass_fields__}

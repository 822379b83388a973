"""Rep points via Kafka and PostgreSQL: awarded by the projector, idempotent, rebuilt, served."""

from __future__ import annotations

import io
import uuid
from typing import Any

import asyncpg
import httpx

from funnel.projector.rebuild import rebuild
from funnel.wiring import projector_config
from schemas.outgoing import PersonErased, ResolvedEvent
from schemas.topics import ERASURES
from services.access import Role, add_token
from services.settings import DEV_READ_TOKEN, Settings
from tests.integration.funnel_fixtures import Message, project_all, query_client
from tests.support.funnel_factories import day, event, merged

MANAGER = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
MONTH = "2026-03"  # day(0) is 2 March 2026


def crm(lead: str, kind: str, at_day: float, event_id: str, **properties: Any) -> ResolvedEvent:
    return ResolvedEvent(
        lead_id=lead,
        event=event(
            kind,
            day(at_day),
            channel="crm",
            properties=properties,
            identities={"crm_lead_id": f"crm-{lead}"},
            event_id=event_id,
        ),
    )


def talk(lead: str, at: float, comm: str, owner: str, **flags: bool) -> ResolvedEvent:
    return crm(lead, "communication_logged", at, f"{comm}@{at}", communication_id=comm,
               owner=owner, **flags)  # fmt: skip


def stage(lead: str, opp: str, at: float, name: str, **extra: Any) -> ResolvedEvent:
    return crm(lead, "sales_stage_changed", at, f"{opp}-{name}", opportunity_id=opp, stage=name,
               **extra)  # fmt: skip


def month_of_work() -> list[Message]:
    """li.na: 2 effective talks (one with minutes), a deal moved twice and won, a detractor;
    wang.fang: one effective talk and a lost deal; liu.yang and zhang.wei (in east): nothing."""
    return [
        talk("L1", 1, "c1", "li.na", need_identified=True),
        talk("L1", 2, "c2", "li.na", next_step_agreed=True, minutes_uploaded=True),
        talk("L1", 3, "c3", "li.na"),  # ineffective: counts for nothing
        stage("L1", "O1", 0, "first_contact", owner="li.na"),
        stage("L1", "O1", 2, "needs_confirmed"),
        stage("L1", "O1", 6, "won", amount=100_000.0, currency="CNY"),
        crm("L1", "feedback_given", 7, "nps-1", score=3, owner="li.na"),
        talk("L2", 1, "c4", "wang.fang", referral_obtained=True),
        stage("L2", "O2", 1, "first_contact", owner="wang.fang"),
        stage("L2", "O2", 5, "lost", lost_reason="price"),
    ]


async def activity_rows(settings: Settings) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch(
            f"SELECT source, source_id, owner, awards::text FROM {settings.funnel_schema}"
            ".rep_activity ORDER BY 1, 2"
        )
        return [tuple(row) for row in rows]
    finally:
        await conn.close()


async def rep_points(client: httpx.AsyncClient, owner: str, **headers: str) -> httpx.Response:
    return await client.get(
        f"/v1/reps/{owner}/points", params={"month": MONTH}, headers=headers or MANAGER
    )


async def test_points_are_awarded_once_survive_redelivery_and_a_rebuild(
    funnel_settings: Settings,
) -> None:
    await project_all(funnel_settings, month_of_work())
    first = await activity_rows(funnel_settings)
    assert ("stay", "O1/0", "li.na", '{"stage_advanced": 5.0}') in first
    assert ("stay", "O2/0", "wang.fang", "{}") in first  # lost: no points, still an activity
    assert ("feedback", "nps-1", "li.na", '{"negative_feedback": -5.0}') in first

    await project_all(funnel_settings, month_of_work())  # every message delivered again
    assert await activity_rows(funnel_settings) == first

    await rebuild(projector_config(funnel_settings), stream=io.StringIO())
    assert await activity_rows(funnel_settings) == first


async def test_a_rep_page_shows_points_per_rule_kpi_and_rank(funnel_settings: Settings) -> None:
    await project_all(funnel_settings, month_of_work())
    async with query_client(funnel_settings) as client:
        answer = await rep_points(client, "li.na")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["team"], body["points"], body["rank"], body["team_size"]) == ("east", 12, 1, 4)
        assert {r["rule_id"]: (r["points"], r["activities"]) for r in body["breakdown"]} == {
            "effective_follow_up": (4, 2),
            "meeting_minutes_uploaded": (3, 1),
            "stage_advanced": (10, 2),
            "negative_feedback": (-5, 1),
        }
        facts = body["kpi"]["facts"]
        assert (facts["won"], facts["won_amount"], facts["new_customers"]) == (1, 100_000, 1)
        assert body["trend"][-1] == {"month": MONTH, "points": 12, "rank": 1, "kpi": 100.0}
        assert [t["month"] for t in body["trend"]][:2] == ["2025-10", "2025-11"]

        board = await client.get(
            "/v1/teams/east/leaderboard", params={"month": MONTH}, headers=MANAGER
        )
        assert board.status_code == 200, board.text
        assert (board.json()["points"], board.json()["points_by_rule"]) == (
            14,
            {
                "effective_follow_up": 6,
                "meeting_minutes_uploaded": 3,
                "negative_feedback": -5,
                "stage_advanced": 10,
            },
        )
        ranked = [(r["rank"], r["owner"], r["points"], r["kpi"]) for r in board.json()["reps"]]
        # wang.fang: 0.4 × (0.5 × 2/12 points + 0.25 × 1/1 on time) = 13.33 (docs/metrics.md)
        assert ranked == [
            (1, "li.na", 12, 100.0),
            (2, "wang.fang", 2, 13.33),
            (3, "liu.yang", 0, 0.0),  # listed in east, nothing this month: ties go by name
            (4, "zhang.wei", 0, 0.0),
        ]

    # the CRM re-sends c1 later with its flags cleared: the newer version replaces it
    await project_all(funnel_settings, [talk("L1", 4, "c1", "li.na")])
    async with query_client(funnel_settings) as client:
        assert (await rep_points(client, "li.na")).json()["points"] == 10


async def test_reps_read_only_their_own_figures_and_bad_months_are_422(
    funnel_settings: Settings,
) -> None:
    await project_all(funnel_settings, month_of_work())
    conn = await asyncpg.connect(funnel_settings.database_url)
    try:
        token = await add_token(conn, f"rep-{uuid.uuid4().hex[:8]}", Role.REP, "wang.fang")
    finally:
        await conn.close()
    rep = {"Authorization": f"Bearer {token}"}
    async with query_client(funnel_settings) as client:
        own = await rep_points(client, "wang.fang", **rep)
        assert own.status_code == 200 and own.json()["points"] == 2
        assert (await rep_points(client, "li.na", **rep)).status_code == 403
        teams = (await client.get("/v1/teams", headers=rep)).json()
        assert (teams["rep"], teams["teams"]) == ("wang.fang", [])  # the dashboard's hint
        managed = (await client.get("/v1/teams", headers=MANAGER)).json()
        assert managed["rep"] is None and managed["teams"][0]["team"] == "east"
        board = await client.get("/v1/teams/east/leaderboard", headers=rep)
        assert board.status_code == 403
        assert board.json()["code"] == "forbidden"

        bad = await client.get(
            "/v1/reps/li.na/points", params={"month": "2026-13"}, headers=MANAGER
        )
        assert bad.status_code == 422
        assert (bad.json()["code"], bad.json()["pointer"]) == ("invalid_query", "/query/month")
        unknown = await client.get("/v1/teams/nowhere/leaderboard", headers=MANAGER)
        assert unknown.status_code == 404


async def activity_leads(settings: Settings) -> dict[str, str | None]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch(
            f"SELECT source || ':' || source_id, lead_id FROM {settings.funnel_schema}.rep_activity"
        )
        return {row[0]: row[1] for row in rows}
    finally:
        await conn.close()


async def test_points_follow_a_merged_lead_and_an_erased_person_takes_theirs_along(
    funnel_settings: Settings, unique: str
) -> None:
    keep, gone = f"K{unique}", f"G{unique}"  # erased_leads is shared: ids of this test's own
    await project_all(
        funnel_settings,
        [
            talk(keep, 1, f"k1-{unique}", "li.na", need_identified=True),
            talk(f"{keep}-old", 2, f"k2-{unique}", "li.na", need_identified=True),
            talk(gone, 1, f"g1-{unique}", "wang.fang", need_identified=True),
            stage(gone, f"OG-{unique}", 0, "first_contact", owner="wang.fang"),
            stage(gone, f"OG-{unique}", 2, "needs_confirmed"),
        ],
    )
    await project_all(funnel_settings, [merged(keep, f"{keep}-old", day(3))])
    leads = await activity_leads(funnel_settings)
    assert leads[f"communication:k2-{unique}"] == keep  # re-pointed to the survivor
    assert leads[f"stay:OG-{unique}/0"] == gone

    erasure = PersonErased(erasure_id=f"er-{unique}", lead_ids=[gone], occurred_at=day(4))
    topic = ERASURES.name(funnel_settings.topic_prefix)
    await project_all(funnel_settings, [(topic, erasure.model_dump_json().encode())])
    left = await activity_leads(funnel_settings)
    assert set(left) == {f"communication:k1-{unique}", f"communication:k2-{unique}"}

    await rebuild(projector_config(funnel_settings), stream=io.StringIO())
    assert await activity_leads(funnel_settings) == left  # the rebuild leaves them out too

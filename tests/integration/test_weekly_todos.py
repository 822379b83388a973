"""A rep's weekly to-do list from the real read models: the API's list, and the alerts worker's
weekly check putting it into the outbox once (for the webhooks: WeCom, e-mail tools)."""

from __future__ import annotations

from datetime import date, datetime

from alerts.wiring import alerts_config
from alerts.worker.checks import weekly_check
from alerts.worker.state_store import create_pool
from schemas.events import parse_event
from schemas.outgoing import ResolvedEvent, Tier
from services.settings import DEV_READ_TOKEN, Settings
from tests.integration.alerts_fixtures import alerts_settings  # noqa: F401 (fixture)
from tests.integration.funnel_fixtures import project_all, query_client
from tests.support.funnel_factories import day, page_view, score

READ = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
WEEK = "2026-W12"  # Monday 16 March 2026 (the factories' day(0) is 2 March)


def crm(lead: str, type_: str, at: datetime, event_id: str, **properties: object) -> ResolvedEvent:
    """A version-2 CRM event of lead `lead`, owned by li."""
    event = parse_event(
        {
            "event_id": event_id,
            "type": type_,
            "schema_version": 2,
            "channel": "crm",
            "occurred_at": at.isoformat(),
            "received_at": at.isoformat(),
            "source": "test",
            "identities": {"crm_lead_id": f"crm-{lead}"},
            "properties": {"owner": "li", **properties},
        }
    )
    return ResolvedEvent(lead_id=lead, event=event)


def facts() -> list[object]:
    return [
        # L1: a call on 12 March agreed a next step due on 17 March (in the week)
        crm("L1", "communication_logged", day(10), "c1", communication_id="c1",
            opportunity_id="O1", next_step_agreed=True, next_step_due="2026-03-17"),
        # L2: an SQL of li's, quiet since 2 March (14 days by Monday; 7 allowed)
        crm("L2", "communication_logged", day(0), "c2", communication_id="c2", kind="call"),
        score("L2", 85, day(0), Tier.SQL),
        # L3: moved into demo on 11 March without the needs document
        crm("L3", "sales_stage_changed", day(9), "s3", opportunity_id="O3", stage="demo",
            evidence=[]),
        page_view("L3", day(12)),
        # L9: a next step agreed on a deal won since: nothing left to do
        crm("L9", "communication_logged", day(8), "c9", communication_id="c9",
            opportunity_id="O9", next_step_agreed=True, next_step_due="2026-03-12"),
        crm("L9", "sales_stage_changed", day(9), "s9", opportunity_id="O9", stage="won",
            amount=1000, currency="CNY", evidence=["signed_contract"]),
    ]  # fmt: skip


async def test_the_weeks_list_and_the_weekly_alert(alerts_settings: Settings) -> None:  # noqa: F811
    settings = alerts_settings
    await project_all(settings, facts())
    async with query_client(settings) as api:
        answer = await api.get("/v1/reps/li/todos", params={"week": WEEK}, headers=READ)
        bad = await api.get("/v1/reps/li/todos", params={"week": "2026-W60"}, headers=READ)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["week"], body["starts"], body["ends"]) == (WEEK, "2026-03-16", "2026-03-23")
    got = [(item["kind"], item["source_id"], item["due"]) for item in body["items"]]
    assert got == [
        ("stale_lead", "L2", "2026-03-16"),
        ("gate_violation", "s3", "2026-03-16"),
        ("next_step", "c1", "2026-03-17"),
    ]
    assert bad.status_code == 422 and bad.json()["pointer"] == "/query/week"

    pool = await create_pool(settings.database_url, settings.alerts_schema)
    try:
        async with pool.acquire() as conn:
            monday_noon = datetime.fromisoformat("2026-03-16T12:00:00+08:00")
            later = monday_noon.replace(day=18)
            zoned = settings.model_copy(update={"health_check_grace_hours": 1.0})
            checks = alerts_config(zoned).checks
            first = await weekly_check(conn, checks, monday_noon)
            again = await weekly_check(conn, checks, later)  # the same week: nothing new
            rows = await conn.fetch("SELECT alert_id, kind FROM outbox ORDER BY seq")
    finally:
        await pool.close()
    assert [a.alert_id for a in first] == [f"weekly_todos:li:{WEEK}"] and again == []
    assert [(r["alert_id"], r["kind"]) for r in rows] == [
        (f"weekly_todos:li:{WEEK}", "weekly_todos")
    ]
    (alert,) = first
    assert [i["source_id"] for i in alert.details["items"]] == ["L2", "s3", "c1"]
    assert date.fromisoformat(alert.details["items"][2]["due"]) == date(2026, 3, 17)

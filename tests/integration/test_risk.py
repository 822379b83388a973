"""Churn risk through Kafka and PostgreSQL: the demo projected by the real projector, a model
trained from the read models, served by the query API, alerted once by the real alerts worker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import asyncpg
import pytest

from demo.dataset import Dataset, build_dataset
from demo.plan import DemoConfig
from forecast.model.assess import assess
from forecast.model.features import History, open_snapshots, stage_norms
from forecast.model.training import Plan
from forecast.store import latest_model, load_history, load_open, retrain
from schemas.outgoing import AlertKind, ResolvedEvent
from services.access import Role, add_token
from services.ingest.rejections import Rejection
from services.settings import DEV_READ_TOKEN, Settings
from tests.integration.alerts_fixtures import (  # noqa: F401 (fixture)
    alerts_on_topic,
    alerts_settings,
    eventually,
    start_alerts,
)
from tests.integration.funnel_fixtures import (  # noqa: F401 (fixture)
    funnel_settings,
    project_all,
    query_client,
)
from tests.support.demo_factories import as_ingested
from tests.support.risk_factories import demo_history

MANAGER = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
LEADS, SEED = 1000, 31


@lru_cache(maxsize=1)
def demo() -> Dataset:
    """The demo's history up to a few seconds ago: its open deals are open now."""
    return build_dataset(DemoConfig(leads=LEADS, seed=SEED), datetime.now(UTC))


def resolved(data: Dataset) -> list[ResolvedEvent]:
    """Every demo record as ingest publishes it, resolved to its demo lead."""
    events = [(post, as_ingested(post, data.now)) for post in data.posts]
    return [
        ResolvedEvent(lead_id=f"lead-{post.lead}", event=event)
        for post, event in events
        if not isinstance(event, Rejection)
    ]


def in_memory(data: Dataset) -> History:
    return demo_history(LEADS, SEED, data.now)


async def project_and_train(settings: Settings) -> None:
    await project_all(settings, resolved(demo()))
    conn = await asyncpg.connect(settings.database_url)
    try:
        await retrain(conn, settings.funnel_schema, Plan(), demo().now, datetime.now(UTC))
    finally:
        await conn.close()


async def test_a_model_trained_on_the_projected_demo_serves_the_at_risk_list(
    funnel_settings: Settings,  # noqa: F811
) -> None:
    s, data = funnel_settings, demo()
    await project_and_train(s)
    conn = await asyncpg.connect(s.database_url)
    try:
        stored = await load_history(conn, s.funnel_schema)
        model = await latest_model(conn, s.funnel_schema)
        cut_offs = [data.now - timedelta(days=days) for days in (0, 30, 90)]
        opened = [await load_open(conn, s.funnel_schema, at) for at in cut_offs]
        rep_owner = next(p.owner for p in data.opportunities if p.stays[-1].outcome is None)
        tokens = {
            role: await add_token(conn, f"{role}-{uuid.uuid4().hex[:8]}", Role.REP, owner)
            for role, owner in (("rep", rep_owner), ("other", "nobody"))
        }
    finally:
        await conn.close()
    # the read models hold what the demo wrote: the same features as the in-memory history
    assert open_snapshots(stored, data.now) == open_snapshots(in_memory(data), data.now)
    assert model is not None and model.evaluation["model"]["auc"] > 0.5
    # what the at-risk list reads (open deals, norms aggregated in SQL) scores as every stay does
    for at, history in zip(cut_offs, opened, strict=True):
        assert history.norms == stage_norms(stored.stays, at)
        assert len(history.stays) < len(stored.stays)
        assert assess(model, history, at) == assess(model, stored, at)
    async with query_client(s) as client:
        answer = await client.get(
            "/v1/opportunities/at-risk", params={"min_risk": 0, "limit": 500}, headers=MANAGER
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        top = page["items"][0]
        lead_risk = await client.get(f"/v1/leads/{top['lead_id']}/risk", headers=MANAGER)
        rep = {"Authorization": f"Bearer {tokens['rep']}"}
        mine = await client.get("/v1/opportunities/at-risk?min_risk=0&limit=500", headers=rep)
        other = await client.get(
            f"/v1/leads/{top['lead_id']}/risk",
            headers={"Authorization": f"Bearer {tokens['other']}"},
        )
        other_list = await client.get(
            f"/v1/opportunities/at-risk?owner={rep_owner}",
            headers={"Authorization": f"Bearer {tokens['other']}"},
        )
        no_token = await client.get("/v1/opportunities/at-risk")
    expected = {a.snapshot.opportunity_id: a.risk for a in assess(model, stored, data.now)}
    assert page["model_version"] == model.version and page["bar"] == s.risk_alert_bar
    assert {item["opportunity_id"] for item in page["items"]} == set(expected)
    risks = [item["risk"] for item in page["items"]]
    assert risks == sorted(risks, reverse=True) and 0 < risks[-1] < risks[0] < 1
    assert top["reasons"] and all(r["contribution"] > 0 and r["text"] for r in top["reasons"])
    assert top["risk"] == pytest.approx(expected[top["opportunity_id"]], abs=0.05)  # a bit later
    assert [i["opportunity_id"] for i in lead_risk.json()["items"]] == [top["opportunity_id"]]
    assert mine.status_code == 200 and mine.json()["items"]
    assert {item["owner"] for item in mine.json()["items"]} == {rep_owner}
    assert other.status_code == 404 and other_list.status_code == 403
    assert no_token.status_code == 401


async def test_the_alerts_worker_raises_one_alert_per_deal_crossing_the_bar(
    alerts_settings: Settings,  # noqa: F811
) -> None:
    s = alerts_settings.model_copy(
        update={"risk_alert_bar": 0.6, "risk_check_interval_seconds": 0.2,
                "alerts_sweep_interval_seconds": 0.2}
    )  # fmt: skip
    await project_and_train(s)
    running = await start_alerts(s)
    try:

        async def risk_alerts() -> list[str]:
            found = await alerts_on_topic(s)
            return [a.alert_id for a in found if a.kind is AlertKind.OPPORTUNITY_AT_RISK]

        async def raised() -> bool:
            return bool(await risk_alerts())

        await eventually(raised, timeout=60)
        await asyncio.sleep(2.0)  # several more checks at the same event time
        first = await risk_alerts()
        async with running.detector.pool.acquire() as conn:
            crossings = await conn.fetch("SELECT opportunity_id, crossed_at FROM risk_crossings")
            history = await load_history(conn, s.funnel_schema)
            model = await latest_model(conn, s.funnel_schema)
            checks = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE kind = 'opportunity_at_risk'"
            )
    finally:
        await running.close()
    assert model is not None
    [at] = {row["crossed_at"] for row in crossings}
    above = {a.snapshot.opportunity_id for a in assess(model, history, at) if a.risk >= 0.6}
    assert above and {row["opportunity_id"] for row in crossings} == above
    assert sorted(first) == sorted(f"opportunity_at_risk:{o}:{at.isoformat()}" for o in above)
    assert checks == len(above)  # no second alert for a deal still above the bar
    alerts = [a for a in await alerts_on_topic(s) if a.kind is AlertKind.OPPORTUNITY_AT_RISK]
    assert all(a.details["reasons"] and a.owner for a in alerts)

"""The at-risk list from the alerts worker's stored risk check (PostgreSQL, the demo projected
through Kafka): the same page as scoring every open deal at the check's time, owners as they
are now, and scoring now again once the check is old or of an older model."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from alerts.wiring import alerts_config
from alerts.worker.risk_check import run_risk_check
from alerts.worker.state_store import create_pool
from forecast.model.assess import assess, listed
from forecast.store import deals_at_risk, latest_model, load_open, save_model
from funnel.store import queries
from services.access import Role, add_token
from services.settings import Settings
from tests.integration.alerts_fixtures import alerts_settings  # noqa: F401 (fixture)
from tests.integration.funnel_fixtures import query_client
from tests.integration.test_risk import MANAGER, project_and_train


async def at_risk(settings: Settings, query: str, token: str | None = None) -> dict[str, Any]:
    headers = MANAGER if token is None else {"Authorization": f"Bearer {token}"}
    async with query_client(settings) as client:
        answer = await client.get(f"/v1/opportunities/at-risk?{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_the_at_risk_list_pages_the_stored_check_and_scores_now_when_it_is_stale(
    alerts_settings: Settings,  # noqa: F811
) -> None:
    s = alerts_settings
    await project_and_train(s)
    at = datetime.now(UTC) - timedelta(hours=6)  # not now: the page's as_of tells the two apart
    pool = await create_pool(s.database_url, s.alerts_schema)
    try:
        async with pool.acquire() as conn, pool.acquire() as other:
            checks = alerts_config(s).checks
            # two workers checking at once: each writes a whole set, neither fails
            await asyncio.gather(
                run_risk_check(conn, checks, at), run_risk_check(other, checks, at)
            )
            model = await latest_model(conn, s.funnel_schema)
            assert model is not None
            assessed = assess(model, await load_open(conn, s.funnel_schema, at), at)
            stored = await conn.fetchval("SELECT count(*) FROM risk_scores")
            # the lead's own deals scored alone are scored as among every open deal
            lead = next(a.snapshot.lead_id for a in assessed if a.snapshot.lead_id)
            alone = assess(model, await load_open(conn, s.funnel_schema, at, [lead]), at)
            f = s.funnel_schema
            closed = {row[0] for row in await conn.fetch(
                f"SELECT opportunity_id FROM {f}.stage_intervals"
                " GROUP BY opportunity_id HAVING bool_and(exited_at IS NOT NULL)"
            )}  # fmt: skip
            still_open = [a for a in assessed if a.snapshot.opportunity_id not in closed]
            owned = Counter(a.snapshot.owner for a in still_open if a.snapshot.owner)
            owner = owned.most_common(1)[0][0]  # the rep whose token reads its own deals
            moved = next(a.snapshot for a in still_open if a.snapshot.owner == owner)
            lost = next(a.snapshot for a in still_open if a.snapshot.owner != owner)
            # after the check: one of the rep's leads changes hands (the list shows its owner
            # now, the rep's leaves it out) and a deal is lost (the list leaves it out)
            await conn.execute(f"UPDATE {f}.leads SET owner = 'moved' WHERE lead_id = $1",
                               moved.lead_id)  # fmt: skip
            await conn.execute(
                f"UPDATE {f}.stage_intervals SET exited_at = now(), outcome = 'lost'"
                " WHERE opportunity_id = $1 AND exited_at IS NULL",
                lost.opportunity_id,
            )
            still_open = [a for a in still_open if a.snapshot is not lost]
            leads = [a.snapshot.lead_id or "" for a in assessed]
            owners = await queries.lead_owners(conn, f, leads)
            # one rep's weekly risks (the to-do list) score only the deals it may own
            every = await deals_at_risk(conn, f, at, 0.0)
            alone_for = {
                who: await deals_at_risk(conn, f, at, 0.0, who) for who in (owner, "moved")
            }
            rep = await add_token(conn, f"rep-{uuid.uuid4().hex[:8]}", Role.REP, owner)
    finally:
        await pool.close()
    assert stored == len(assessed) > 10
    assert alone == [a for a in assessed if a.snapshot.lead_id == lead]
    assert alone_for == {who: {who: every[who]} for who in (owner, "moved")}
    bar = s.risk_alert_bar
    expected = orjson.loads(orjson.dumps([
        {**listed(a), "owner": owners.get(a.snapshot.lead_id or "") or a.snapshot.owner,
         "at_risk": a.risk >= bar}
        for a in still_open
    ]))  # fmt: skip
    everything = await at_risk(s, "min_risk=0&limit=500")
    assert datetime.fromisoformat(everything["as_of"]) == at
    assert everything["model_version"] == model.version
    assert everything["items"] == expected[:500]
    assert any(item["owner"] == "moved" for item in everything["items"])
    risky = await at_risk(s, "")  # the default: the bar, 50 at most
    assert risky["items"] == [e for e in expected if e["risk"] >= bar][:50]
    mine = await at_risk(s, "min_risk=0.05&limit=500", rep)
    wanted = [e for e in expected if e["owner"] == owner and e["risk"] >= 0.05]
    assert mine["items"] == wanted and wanted
    assert moved.opportunity_id not in {item["opportunity_id"] for item in mine["items"]}
    # a newer model: the stored check is of the old one, so the list is scored now
    newer = dataclasses.replace(model, version=f"{model.version}-next",
                                trained_at=model.trained_at + timedelta(seconds=1))  # fmt: skip
    pool = await create_pool(s.database_url, s.alerts_schema)
    try:
        async with pool.acquire() as conn:
            await save_model(conn, newer, s.funnel_schema)
            relabelled = await at_risk(s, "min_risk=0&limit=500")
            await conn.execute("DELETE FROM public.risk_models WHERE version = $1", newer.version)
            await conn.execute("UPDATE risk_checks SET checked_at = now() - interval '1 day'")
            stale = await at_risk(s, "min_risk=0&limit=500")
    finally:
        await pool.close()
    for page, version in ((relabelled, newer.version), (stale, model.version)):
        assert page["model_version"] == version
        assert datetime.fromisoformat(page["as_of"]) > at + timedelta(hours=5)  # scored now
        assert page["items"]

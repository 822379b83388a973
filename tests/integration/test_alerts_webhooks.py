"""Webhook delivery to a receiver this test runs: signatures check out, failures are retried."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import orjson
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from alerts.model.delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    AlertWebhook,
    is_valid_signature,
)
from alerts.wiring import alerts_config
from alerts.worker import outbox_store, state_store
from alerts.worker.relay import AlertRelay
from schemas.outgoing import Alert, AlertKind, DeadLetter
from schemas.topics import DEAD_LETTERS
from services.settings import Settings
from tests.integration.alerts_fixtures import (  # noqa: F401 (fixture)
    alerts_on_topic,
    alerts_settings,
    eventually,
    read_topic,
)
from tests.support.funnel_factories import day

SECRET = "whsec-test"
ALERTS = [
    Alert(alert_id="lead_stale:L1:a", kind=AlertKind.LEAD_STALE, subject="L1", owner="wang",
          message="Lead L1 (mql) had no interaction for over 7 days", occurred_at=day(7)),
    Alert(alert_id="health_check_failed:2026-03:mql_to_sql_rate",
          kind=AlertKind.HEALTH_CHECK_FAILED, subject="mql_to_sql_rate", severity="critical",
          message="2026-03 MQL→SQL conversion 10.0% is in the alarm range", occurred_at=day(30)),
]  # fmt: skip


@dataclass
class Receiver:
    """What the test's webhook server saw."""

    url: str = ""
    signed: list[tuple[str, bytes, str]] = field(default_factory=list)
    tries: Counter[str] = field(default_factory=Counter)
    wecom: list[dict] = field(default_factory=list)  # type: ignore[type-arg]
    broken: int = 0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A tiny aiohttp app on a free port: /crm fails twice per alert, /wecom, /broken."""
    seen = Receiver()

    async def crm(request: web.Request) -> web.Response:
        body = await request.read()
        alert_id = request.headers["X-Leadfunnel-Alert-Id"]
        seen.tries[alert_id] += 1
        seen.signed.append(
            (request.headers[TIMESTAMP_HEADER], body, request.headers[SIGNATURE_HEADER])
        )
        return web.Response(status=500 if seen.tries[alert_id] <= 2 else 204)

    async def wecom(request: web.Request) -> web.Response:
        seen.wecom.append(orjson.loads(await request.read()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def broken(request: web.Request) -> web.Response:
        seen.broken += 1
        return web.Response(status=503, text="down for maintenance")

    app = web.Application()
    app.add_routes([web.post("/crm", crm), web.post("/wecom", wecom), web.post("/broken", broken)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    seen.url = f"http://{host}:{port}"
    try:
        yield seen
    finally:
        await runner.cleanup()


def counter(name: str, webhook: str) -> float:
    return REGISTRY.get_sample_value(name, {"webhook": webhook}) or 0.0


async def test_alerts_reach_each_webhook_signed_retried_or_dead_lettered(
    alerts_settings: Settings,  # noqa: F811
    receiver: Receiver,
) -> None:
    hooks = [
        AlertWebhook(name="crm", url=f"{receiver.url}/crm", secret=SECRET),
        AlertWebhook(
            name="group", url=f"{receiver.url}/wecom", format="wecom", kinds=["lead_stale"]
        ),
        AlertWebhook(name="broken", url=f"{receiver.url}/broken"),
    ]
    s = alerts_settings.model_copy(update={"alert_webhooks": hooks, "alert_delivery_attempts": 3})
    before = {f"{n}/{w}": counter(n, w) for n, w in _metric_keys()}
    pool = await state_store.create_pool(s.database_url, s.alerts_schema)
    relay = AlertRelay(alerts_config(s), pool)
    await relay.start()
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop, idle_seconds=0.1))
    try:
        async with pool.acquire() as conn:
            await outbox_store.enqueue(conn, ALERTS)
        relay.wake.set()
        await eventually(lambda: _deliveries_done(pool))
        async with pool.acquire() as conn:
            statuses = dict(
                await conn.fetch("SELECT webhook || ' ' || alert_id, status FROM deliveries")
            )
    finally:
        stop.set()
        await running
        await relay.stop()
        await pool.close()

    assert receiver.tries == {a.alert_id: 3 for a in ALERTS}  # two failures, then success
    now = int(time.time())
    assert all(is_valid_signature(SECRET, ts, body, sig, now) for ts, body, sig in receiver.signed)
    assert {Alert.model_validate_json(body).alert_id for _, body, _ in receiver.signed} == {
        a.alert_id for a in ALERTS
    }
    (message,) = receiver.wecom  # only the kind this robot asked for
    assert message["msgtype"] == "markdown" and "L1" in message["markdown"]["content"]
    assert receiver.broken == 2 * 3
    letters = [DeadLetter.model_validate_json(v) for _, v in await read_topic(s, DEAD_LETTERS)]
    assert sorted(d.source for d in letters) == ["webhook:broken", "webhook:broken"]
    assert "HTTP 503" in letters[0].reason and "3 attempts" in letters[0].reason
    assert sorted(Alert.model_validate_json(d.payload).alert_id for d in letters) == sorted(
        a.alert_id for a in ALERTS
    )
    assert Counter(statuses.values()) == {"delivered": 3, "dead_lettered": 2}
    assert sorted(a.alert_id for a in await alerts_on_topic(s)) == sorted(
        a.alert_id for a in ALERTS
    )
    after = {f"{n}/{w}": counter(n, w) for n, w in _metric_keys()}
    assert {k: after[k] - before[k] for k in after} == {
        "leadfunnel_alerts_webhook_delivered_total/crm": 2,
        "leadfunnel_alerts_webhook_failed_attempts_total/crm": 4,
        "leadfunnel_alerts_webhook_delivered_total/group": 1,
        "leadfunnel_alerts_webhook_failed_attempts_total/broken": 6,
        "leadfunnel_alerts_webhook_dead_lettered_total/broken": 2,
    }


def _metric_keys() -> list[tuple[str, str]]:
    return [
        ("leadfunnel_alerts_webhook_delivered_total", "crm"),
        ("leadfunnel_alerts_webhook_failed_attempts_total", "crm"),
        ("leadfunnel_alerts_webhook_delivered_total", "group"),
        ("leadfunnel_alerts_webhook_failed_attempts_total", "broken"),
        ("leadfunnel_alerts_webhook_dead_lettered_total", "broken"),
    ]


async def _deliveries_done(pool: object) -> bool:
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        rows = await conn.fetch("SELECT status FROM deliveries")
    return len(rows) == 5 and all(row["status"] != "pending" for row in rows)

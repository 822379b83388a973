"""The monthly health check on a hand-computed data set: over HTTP, and as scheduled alerts."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from alerts.wiring import alerts_config
from alerts.worker.http import health_check_router
from runtime.http_errors import install_error_handlers
from schemas.outgoing import AlertKind
from services.settings import Settings
from tests.integration.alerts_fixtures import (  # noqa: F401 (fixture)
    alerts_on_topic,
    alerts_settings,
    eventually,
    settled,
    start_alerts,
)
from tests.integration.funnel_fixtures import publish
from tests.integration.health_dataset import MARCH, at, write_busy_owner, write_march
from tests.support.funnel_factories import page_view


@pytest.fixture
async def march(alerts_settings: Settings) -> AsyncIterator[Settings]:  # noqa: F811
    """The settings, with the worked example written into this test's funnel schema."""
    conn = await asyncpg.connect(alerts_settings.database_url)
    try:
        await write_march(conn, alerts_settings.funnel_schema)
        await write_busy_owner(conn, alerts_settings.funnel_schema)
    finally:
        await conn.close()
    yield alerts_settings


@pytest.fixture
async def client(march: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The router mounted on a FastAPI app with an asyncpg pool, as the query app mounts it."""
    app = FastAPI()
    app.include_router(health_check_router(alerts_config(march).checks))
    install_error_handlers(app)
    app.state.pool = await asyncpg.create_pool(march.database_url, min_size=1, max_size=2)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://query") as http:
            yield http
    finally:
        await app.state.pool.close()


def by_name(body: dict) -> dict:  # type: ignore[type-arg]
    return {i["name"]: i for i in body["indicators"]}


async def test_march_health_check_reproduces_the_hand_computed_numbers(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/health-check", params={"month": MARCH})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["month"], body["as_of"]) == (MARCH, "2024-04-01T00:00:00Z")
    got = by_name(body)
    mql = got["mql_to_sql_rate"]
    assert (mql["value"], mql["numerator"], mql["denominator"], mql["status"]) == (
        0.1, 1, 10, "red",
    )  # fmt: skip
    assert mql["normal_range"] == "≥ 25%" and mql["alarm_range"] == "< 15%"
    assert mql["action_zh"] == "优化筛选规则,加强培育内容"
    cycle = got["average_sales_cycle_days"]
    assert (cycle["value"], cycle["denominator"], cycle["status"]) == (55.0, 4, "amber")
    on_time = got["stage_updates_on_time_rate"]
    assert (on_time["numerator"], on_time["denominator"], on_time["status"]) == (7, 10, "amber")
    share = got["high_value_customer_share"]
    assert (share["numerator"], share["denominator"], share["status"]) == (2, 3, "green")
    assert share["value"] == pytest.approx(2 / 3)
    assert body["failed"] == ["mql_to_sql_rate"]


async def test_health_check_judged_mid_month_counts_only_what_was_known_then(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(
        "/v1/health-check", params={"month": MARCH, "as_of": "2024-03-10T00:00:00Z"}
    )
    got = by_name(answer.json())
    assert (got["mql_to_sql_rate"]["value"], got["mql_to_sql_rate"]["denominator"]) == (0.0, 9)
    assert got["average_sales_cycle_days"]["status"] == "no_data"
    assert got["stage_updates_on_time_rate"]["value"] == 1.0  # D0–D4, due 5–9 March, on time


@pytest.mark.parametrize("month", ["2024-13", "2024-3", "march", ""])
async def test_a_malformed_month_is_a_422_naming_the_parameter(
    client: httpx.AsyncClient, month: str
) -> None:
    answer = await client.get("/v1/health-check", params={"month": month})
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_query"
    assert answer.json()["pointer"] == "/query/month"


async def test_the_closed_month_raises_each_red_indicator_and_busy_owner_once(
    march: Settings,
) -> None:
    await publish(march, [page_view("X", at(4, 2, 1))])  # event time: April 1 + 25 h
    running = await start_alerts(march)
    try:
        await eventually(lambda: _count(march, 2))
        await publish(march, [page_view("X", at(4, 5))])  # later sweeps judge March no more
        await settled(march, running)
    finally:
        await running.close()
    alerts = await alerts_on_topic(march)
    assert Counter(a.alert_id for a in alerts) == {
        "health_check_failed:2024-03:mql_to_sql_rate": 1,
        "owner_not_advancing:zhao:2024-03-01T00:00:00+00:00/2024-04-01T00:00:00+00:00": 1,
    }
    busy = next(a for a in alerts if a.kind is AlertKind.OWNER_NOT_ADVANCING)
    assert (busy.details["communications"], busy.details["effective"]) == (40, 8)
    assert busy.details["stuck_count"] == 5
    sample = REGISTRY.get_sample_value
    assert sample("leadfunnel_health_check_alarm", {"indicator": "mql_to_sql_rate"}) == 1
    assert sample("leadfunnel_health_check_value", {"indicator": "mql_to_sql_rate"}) == 0.1


async def _count(settings: Settings, expected: int) -> bool:
    return len(await alerts_on_topic(settings)) >= expected

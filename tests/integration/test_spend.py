"""Marketing spend end to end: posted over the real ingest app, read back from the real topic,
projected by the real projector and answered by `/v1/funnel/costs` beside the leads."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from funnel.projector.rebuild import rebuild
from funnel.wiring import projector_config
from schemas.outgoing import Tier
from schemas.spend import spend_id_of
from schemas.topics import SPEND
from services.settings import DEV_READ_TOKEN, DEV_WRITE_KEY, Settings
from tests.integration.funnel_fixtures import project_all, query_client
from tests.support.funnel_factories import day, page_view, promoted
from tests.support.ingest import (
    SLOW_KEY,
    WECHAT_KEY,
    free_port,
    running_ingest,
    with_test_keys,
)

SHEET = (
    "\ufeffchannel,campaign,month,amount,currency\r\n"
    "ads,spring,2026-03,12000,CNY\r\n"
    "ads,,2026-03,500,\r\n"
    "wechat,,2026/3,3000,CNY\r\n"
)


def spend_records(settings: Settings, count: int, timeout: float = 15) -> list[Any]:
    """At least `count` records of the spend topic, read from the beginning."""
    topic = SPEND.name(settings.topic_prefix)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        assert partitions, f"topic {topic} does not exist"
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        consumer.seek_to_beginning()
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        assert len(records) >= count, f"only {len(records)} of {count} spend records arrived"
        return records
    finally:
        consumer.close()


@pytest.fixture
def ingest(isolated_settings: Settings) -> Iterator[tuple[Settings, httpx.Client]]:
    settings = with_test_keys(isolated_settings)
    with (
        running_ingest(settings) as base_url,
        httpx.Client(base_url=base_url, auth=(DEV_WRITE_KEY, ""), timeout=20) as client,
    ):
        yield settings, client


def test_a_csv_sheet_lands_on_the_spend_topic_keyed_by_spend_id(
    ingest: tuple[Settings, httpx.Client],
) -> None:
    settings, client = ingest
    answer = client.post("/v1/spend", content=SHEET.encode(), headers={"content-type": "text/csv"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 3
    records = {r.key: orjson.loads(r.value) for r in spend_records(settings, 3)}
    spring = spend_id_of("ads", "spring", "2026-03").encode()
    assert set(records) == {
        spring,
        spend_id_of("ads", None, "2026-03").encode(),
        spend_id_of("wechat", None, "2026-03").encode(),
    }
    assert records[spring] | {"recorded_at": None} == {
        "spend_id": spring.decode(),
        "channel": "ads",
        "campaign": "spring",
        "month": "2026-03",
        "amount": 12000.0,
        "currency": "CNY",
        "recorded_at": None,
        "source": "dev",
    }


def test_one_bad_row_refuses_the_whole_request_and_publishes_nothing(
    ingest: tuple[Settings, httpx.Client],
) -> None:
    settings, client = ingest
    rows = [
        {"channel": "ads", "month": "2026-03", "amount": 10},
        {"channel": "ads", "month": "2026-04", "amount": 10, "currency": "USD"},
    ]
    answer = client.post("/v1/spend", json=rows)
    sheet = "channel,month,amount\nads,2026-03,10\nads,2026-04,ten\n"
    from_csv = client.post("/v1/spend", content=sheet, headers={"content-type": "text/csv"})
    client.post("/v1/spend", json=[{"channel": "email", "month": "2026-01", "amount": 1}])

    assert (answer.status_code, answer.json()["pointer"]) == (400, "/1/currency")
    assert set(answer.json()) == {"code", "message", "pointer"}
    assert (from_csv.status_code, from_csv.json()["pointer"]) == (400, "/rows/1/amount")
    assert "line 3" in from_csv.json()["message"]
    [only] = spend_records(settings, 1)  # the last, good request's row alone
    assert orjson.loads(only.value)["channel"] == "email"


def test_spend_needs_a_write_key_bound_to_the_rows_channel(
    ingest: tuple[Settings, httpx.Client],
) -> None:
    _, client = ingest
    rows = [{"channel": "wechat", "month": "2026-03", "amount": 1}]
    anonymous = httpx.post(f"{client.base_url}/v1/spend", json=rows, timeout=20)
    wechat_bot = client.post("/v1/spend", json=rows, auth=(WECHAT_KEY, ""))
    ads_by_bot = client.post(
        "/v1/spend", json=[*rows, {**rows[0], "channel": "ads"}], auth=(WECHAT_KEY, "")
    )
    plain_text = client.post("/v1/spend", content=b"x", headers={"content-type": "text/html"})
    year = [{"channel": "ads", "month": f"2025-{m:02d}", "amount": 1} for m in range(1, 13)]
    first = client.post("/v1/spend", json=year, auth=(SLOW_KEY, ""))  # 2 rows/s, 4 at once
    slow = client.post("/v1/spend", json=year, auth=(SLOW_KEY, ""))

    assert anonymous.status_code == 401
    assert wechat_bot.status_code == 200, wechat_bot.text
    assert (ads_by_bot.status_code, ads_by_bot.json()["pointer"]) == (403, "/1/channel")
    assert plain_text.status_code == 415
    assert first.status_code == 200 and slow.status_code == 429 and "Retry-After" in slow.headers


READ = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
MARCH_AND_HALF_APRIL = {"from": "2026-03-01", "to": "2026-04-16"}


def _leads() -> list[Any]:
    """Five leads first seen in March 2026 (T0 = 2 March) on four channels."""
    return [
        page_view("L1", day(0), channel="ads", campaign="spring"),
        promoted("L1", Tier.LEAD, Tier.MQL, day(1)),
        page_view("L2", day(1), channel="ads", campaign="spring"),
        page_view("L3", day(2), channel="ads"),
        page_view("L4", day(3), channel="wechat"),
        promoted("L4", Tier.LEAD, Tier.SQL, day(4)),
        page_view("L5", day(5), channel="website"),
    ]


def _post_spend(settings: Settings) -> None:
    first = [
        {"channel": "ads", "campaign": "spring", "month": "2026-03", "amount": 12000},
        {"channel": "ads", "campaign": "spring", "month": "2026-04", "amount": 6000},
        {"channel": "ads", "month": "2026-03", "amount": 1000},
        {"channel": "wechat", "month": "2026-03", "amount": 3000},
        {"channel": "email", "month": "2026-03", "amount": 600},
    ]
    correction = "channel,campaign,month,amount\nads,spring,2026-03,8000\n"
    with (
        running_ingest(settings) as base_url,
        httpx.Client(base_url=base_url, auth=(DEV_WRITE_KEY, ""), timeout=20) as client,
    ):
        assert client.post("/v1/spend", json=first).status_code == 200
        csv_post = {"content": correction, "headers": {"content-type": "text/csv"}}
        assert client.post("/v1/spend", **csv_post).status_code == 200  # type: ignore[arg-type]


def _by_group(answer: httpx.Response) -> dict[tuple[str, str | None], dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {(row["channel"], row["campaign"]): row for row in answer.json()["rows"]}


async def test_costs_per_channel_and_campaign_from_posted_spend_and_projected_leads(
    funnel_settings: Settings,
) -> None:
    _post_spend(funnel_settings)
    await project_all(funnel_settings, _leads())

    async with query_client(funnel_settings) as api:
        channels = await api.get("/v1/funnel/costs", params=MARCH_AND_HALF_APRIL, headers=READ)
        campaigns = await api.get(
            "/v1/funnel/costs",
            params={**MARCH_AND_HALF_APRIL, "group_by": "campaign"},
            headers=READ,
        )
        sheet = await api.get(
            "/v1/funnel/costs", params=MARCH_AND_HALF_APRIL, headers={**READ, "accept": "text/csv"}
        )

    rows = _by_group(channels)
    # ads: the re-posted March 8 000 (not 12 000), April's 6 000 half, 1 000 without campaign
    assert rows[("ads", None)] | {"cost_per_mql": None} == {
        "channel": "ads", "campaign": None, "spend": 12_000.0,
        "lead": 3, "mql": 1, "sql": 0, "opportunity": 0, "won": 0,
        "cost_per_lead": 4_000.0, "cost_per_mql": None, "cost_per_sql": None,
        "cost_per_opportunity": None, "cost_per_won": None,
    }  # fmt: skip
    assert rows[("ads", None)]["cost_per_mql"] == 12_000.0
    assert (rows[("wechat", None)]["spend"], rows[("wechat", None)]["cost_per_sql"]) == (3000, 3000)
    assert (rows[("email", None)]["spend"], rows[("email", None)]["lead"]) == (600.0, 0)
    assert rows[("website", None)]["spend"] is None and rows[("website", None)]["lead"] == 1
    body = channels.json()
    assert (body["total"]["spend"], body["total"]["lead"], body["currency"]) == (15_600, 5, "CNY")
    assert body["months"] == [
        {"month": "2026-03", "share": 1.0},
        {"month": "2026-04", "share": 0.5},
    ]
    by_campaign = _by_group(campaigns)
    assert by_campaign[("ads", "spring")]["spend"] == 11_000.0
    assert by_campaign[("ads", "spring")]["cost_per_lead"] == 5_500.0
    assert by_campaign[("ads", "unknown")]["cost_per_lead"] == 1_000.0
    assert sheet.text.startswith("\ufeffchannel,campaign,spend,lead,mql")


async def test_costs_survive_a_rebuild_and_refuse_bad_parameters(funnel_settings: Settings) -> None:
    _post_spend(funnel_settings)
    await project_all(funnel_settings, _leads())
    async with query_client(funnel_settings) as api:
        before = await api.get("/v1/funnel/costs", headers=READ)
    await rebuild(projector_config(funnel_settings), stream=io.StringIO())

    async with query_client(funnel_settings) as api:
        after = await api.get("/v1/funnel/costs", headers=READ)
        by_month = await api.get("/v1/funnel/costs", params={"group_by": "month"}, headers=READ)
        backwards = await api.get(
            "/v1/funnel/costs", params={"from": "2026-04-01", "to": "2026-03-01"}, headers=READ
        )
        anonymous = await api.get("/v1/funnel/costs")

    assert after.status_code == 200 and after.json() == before.json()
    assert _by_group(after)[("ads", None)]["spend"] == 15_000.0  # all time: April whole
    assert (by_month.status_code, by_month.json()["pointer"]) == (422, "/query/group_by")
    assert (backwards.status_code, backwards.json()["pointer"]) == (422, "/query/to")
    assert anonymous.status_code == 401


def test_spend_is_a_503_with_retry_after_while_no_broker_answers(
    isolated_settings: Settings,
) -> None:
    nobody = isolated_settings.model_copy(
        update={"kafka_bootstrap": f"127.0.0.1:{free_port()}", "ingest_publish_timeout_seconds": 1}
    )
    rows = [{"channel": "ads", "month": "2026-03", "amount": 10}]
    with running_ingest(nobody) as base_url:
        answer = httpx.post(f"{base_url}/v1/spend", json=rows, auth=(DEV_WRITE_KEY, ""), timeout=20)

    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.json()["code"] == "kafka_unavailable"

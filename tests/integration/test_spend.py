"""Marketing spend end to end: posted over the real ingest app, read back from the real topic,
projected by the real projector and answered by `/v1/funnel/costs` beside the leads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from schemas.spend import spend_id_of
from schemas.topics import SPEND
from services.settings import DEV_WRITE_KEY, Settings
from tests.integration.test_ingest_support import (
    SLOW_KEY,
    WECHAT_KEY,
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

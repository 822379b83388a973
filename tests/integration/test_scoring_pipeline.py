"""The scoring worker against the real broker: HTTP in, promotions, merges and dead letters out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from schemas.outgoing import LeadPromoted, Tier
from schemas.topics import DEAD_LETTERS, RAW_EVENTS
from scoring.model.replay import Replay
from scoring.model.rules import default_rules
from services.settings import DEV_WRITE_KEY, Settings
from tests.integration.scoring_fixtures import (  # noqa: F401 (fixtures)
    WorkerProcess,
    envelope,
    produce,
    read_raw,
    scoring_settings,
    worker,
)
from tests.support.ingest import running_ingest
from tests.support.scoring_outputs import OutputReader, Outputs


@pytest.fixture
def ingest(scoring_settings: Settings) -> Iterator[httpx.Client]:  # noqa: F811
    """The real ingest app on a free port, with the dev write key."""
    with (
        running_ingest(scoring_settings) as base_url,
        httpx.Client(base_url=base_url, auth=(DEV_WRITE_KEY, ""), timeout=20) as client,
    ):
        yield client


def post(
    client: httpx.Client, kind: str, at: datetime, identities: dict[str, str], **kw: Any
) -> str:
    """POST one native event; returns its id."""
    body = {"type": kind, "occurred_at": at.isoformat(), "identities": identities, **kw}
    answer = client.post("/v1/events", json={"channel": "website", **body})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["event_id"])


def _promotions_to(outputs: Outputs, tier: Tier) -> list[LeadPromoted]:
    return [p for p in outputs.promotions if p.to_tier is tier]


async def test_events_posted_over_http_promote_a_lead_to_mql_then_sql_on_the_promotions_topic(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
    ingest: httpx.Client,
) -> None:
    worker.start()
    t0, visitor = datetime.now(UTC) - timedelta(minutes=30), {"anonymous_id": "http-visitor-1"}
    page = {"url": "https://x.cn/products/a", "dwell_seconds": 75}
    post(ingest, "page_viewed", t0, visitor, properties=page)
    post(ingest, "form_submitted", t0 + timedelta(minutes=1), visitor, properties={"form_id": "f"})
    video = {"video_id": "v", "percent": 90}
    post(ingest, "video_watched", t0 + timedelta(minutes=2), visitor, properties=video)
    second_video = post(
        ingest, "video_watched", t0 + timedelta(minutes=3), visitor, properties=video
    )
    async with OutputReader(scoring_settings) as reader:
        outputs = await reader.until(lambda o: bool(_promotions_to(o, Tier.MQL)))
        (mql,) = _promotions_to(outputs, Tier.MQL)
        assert (mql.from_tier, mql.trigger_event_id) == (Tier.LEAD, second_video)
        assert mql.rule_version == "2026.11-2" and mql.score == 38.0
        assert mql.reasons == ["form_submitted >= 1", "product_video_watched >= 2"]

        demo = post(ingest, "demo_requested", t0 + timedelta(minutes=4), visitor)
        crm = {"crm_lead_id": "crm-1", "anonymous_id": "http-visitor-1"}
        stage = {"opportunity_id": "opp-1", "stage": "needs_confirmed", "owner": "wang"}
        chat = {"communication_id": "c-1", "kind": "call"}  # ineffective: no need, no next step
        post(ingest, "communication_logged", t0 + timedelta(minutes=5), crm, properties=chat)
        post(ingest, "sales_stage_changed", t0 + timedelta(minutes=6), crm, properties=stage)
        outputs = await reader.until(
            lambda o: (
                bool(_promotions_to(o, Tier.OPPORTUNITY))
                and len(o.resolved) == 7
                and bool(o.stages)
            )
        )

    (sql,) = _promotions_to(outputs, Tier.SQL)
    assert (sql.from_tier, sql.trigger_event_id, sql.reasons) == (
        Tier.MQL,
        demo,
        ["demo_requested >= 1"],
    )
    assert len({p.promotion_id for p in outputs.promotions}) == 3
    # every event, CRM ones included, was forwarded to events.resolved under one lead
    assert [r["event"]["type"] for r in outputs.resolved][-2:] == [
        "communication_logged",
        "sales_stage_changed",
    ]
    assert {r["lead_id"] for r in outputs.resolved} == {mql.lead_id}
    # and the stage change, with its lead, on sales.stages under its opportunity
    ((key, change),) = outputs.stages
    assert key == b"opp-1" and change == outputs.resolved[-1]
    answer = worker.score(mql.lead_id)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["tier"], body["score"]) == ("opportunity", 78.0)
    assert body["recent"][0]["event_type"] == "demo_requested"
    assert body["identities"] == ["anon:http-visitor-1", "crm:crm-1"]
    assert {line["rule_id"] for line in body["rules"]} >= {"demo_booked", "opportunity_stage"}


async def test_wechat_follower_and_ad_form_with_a_website_visitors_phone_become_one_lead(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
    ingest: httpx.Client,
) -> None:
    worker.start()
    t0, phone = datetime.now(UTC) - timedelta(hours=2), "13800138000"
    web, wechat = {"anonymous_id": "merge-web-1", "phone": phone}, {"wechat_appid": "wx1"}
    wechat["wechat_openid"] = "o-merge-1"
    page = {"url": "https://x.cn/pricing", "dwell_seconds": 200}
    post(ingest, "page_viewed", t0, {"anonymous_id": "merge-web-1"}, properties=page)
    post(ingest, "form_submitted", t0 + timedelta(minutes=1), web, properties={"form_id": "f"})
    post(ingest, "wechat_subscribed", t0 + timedelta(minutes=10), wechat, channel="wechat")
    form = {"platform": "tencent", "lead_id": "ad-1"}
    ad_form = {**wechat, "phone": phone, "ad_lead_id": "ad-1"}
    post(
        ingest,
        "ad_lead_submitted",
        t0 + timedelta(minutes=20),
        ad_form,
        channel="ads",
        properties=form,
    )

    reference = Replay(default_rules()).feed_all(await read_raw(scoring_settings))
    ((survivor, expected),) = reference.survivors().items()
    async with OutputReader(scoring_settings) as reader:

        def merged_and_scored(o: Outputs) -> bool:
            latest = o.latest_scores().get(survivor)
            merged = len({m.merged_lead_id for m in o.merges}) == 2
            return merged and latest is not None and latest.score == expected.score

        outputs = await reader.until(merged_and_scored)

    # the form linked the visitor's phone to its cookie; the ad form linked WeChat to the phone
    linking = {key for m in outputs.merges for key in m.linking_identities}
    assert linking == {"anon:merge-web-1", "wx_open:wx1/o-merge-1"}
    final = outputs.latest_scores()[survivor]
    assert set(final.contributions) >= {
        "page_studied",
        "pricing_page_viewed",
        "form_completed",
        "wechat_followed",
        "ad_lead_form_completed",
    }
    assert final.score == expected.score and 45 < final.score <= 5 + 6 + 15 + 5 + 15
    merged_away = {m.merged_lead_id for m in outputs.merges}
    for lead_id in merged_away:
        answer = worker.score(lead_id)
        assert answer.status_code == 307
        while answer.status_code == 307:  # a chain of merges ends at the survivor
            answer = worker.score(answer.headers["location"].split("/")[-2])
        assert answer.json()["lead_id"] == survivor
    body = worker.score(survivor).json()
    assert set(body["merged_from"]) == merged_away and len(merged_away) == 2
    assert [i.split(":")[0] for i in body["identities"]] == ["ad_lead", "anon", "phone", "wx_open"]


async def test_an_unparsable_raw_message_goes_to_dead_letters_and_the_worker_carries_on(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    worker.start()
    producer = AIOKafkaProducer(bootstrap_servers=scoring_settings.kafka_bootstrap, acks="all")
    await producer.start()
    raw = RAW_EVENTS.name(scoring_settings.topic_prefix)
    await producer.send_and_wait(raw, b'{"type": "page_viewed", "event_id": 7}', key=b"anon:x")
    await producer.stop()
    after = envelope("demo_requested", {"anonymous_id": "after-poison"})
    await produce(scoring_settings, [after])
    async with OutputReader(scoring_settings) as reader:
        await reader.until(
            lambda o: any(p.trigger_event_id == after.event_id for p in o.promotions)
        )

    consumer = AIOKafkaConsumer(bootstrap_servers=scoring_settings.kafka_bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(DEAD_LETTERS.name(scoring_settings.topic_prefix), p) for p in (0, 1)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        letters = [r for batch in (await consumer.getmany(timeout_ms=3000)).values() for r in batch]
    finally:
        await consumer.stop()
    assert len(letters) == 1 and letters[0].key == raw.encode()
    assert b'"field":"/page_viewed/event_id"' in (letters[0].value or b"")
    assert b'"reason":"string_type' in (letters[0].value or b"")

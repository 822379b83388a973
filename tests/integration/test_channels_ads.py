"""Ad-platform lead webhooks over HTTP into the real topic: published once, or refused, nothing."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from services.pii import keyed_hash
from services.settings import Settings
from tests.support.channel_server import TopicWatch
from tests.support.channels import (
    GOOGLE_KEY,
    META_TOKEN,
    OCEAN_SECRET,
    TENCENT_SECRET,
    clue_headers,
    meta_signature,
)


def google_lead(lead_id: str, phone: str = "13800138000", **changes: Any) -> dict[str, Any]:
    columns = [{"column_id": "PHONE_NUMBER", "string_value": phone}]
    lead = {"lead_id": lead_id, "google_key": GOOGLE_KEY, "campaign_id": 1, "is_test": False}
    return {**lead, "user_column_data": columns, **changes}


def meta_post(client: httpx.Client, payload: Any, signature: str | None = None) -> httpx.Response:
    body = orjson.dumps(payload)
    headers = {"X-Hub-Signature-256": signature or meta_signature(body)}
    return client.post("/v1/channels/ads/meta", content=body, headers=headers)


def clue_post(client: httpx.Client, platform: str, payload: Any, secret: str) -> httpx.Response:
    body = orjson.dumps(payload)
    return client.post(
        f"/v1/channels/ads/{platform}", content=body, headers=clue_headers(body, secret)
    )


def test_google_lead_is_published_once_however_often_google_retries(
    client: httpx.Client, topic: TopicWatch
) -> None:
    for _ in range(2):
        answer = client.post("/v1/channels/ads/google", json=google_lead("lead-g-1"))
        assert (answer.status_code, answer.json()) == (200, {})
    [event] = topic.events(1)
    assert event["properties"]["lead_id"] == "lead-g-1" and event["channel"] == "ads"


def test_meta_verification_and_a_signed_leadgen_notification(
    client: httpx.Client, topic: TopicWatch
) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": META_TOKEN, "hub.challenge": "8812"}
    assert client.get("/v1/channels/ads/meta", params=query).text == "8812"
    assert (
        client.get("/v1/channels/ads/meta", params={**query, "hub.verify_token": "x"}).status_code
        == 403
    )
    change = {"field": "leadgen", "value": {"leadgen_id": "4444", "created_time": 1714550400}}
    answer = meta_post(client, {"object": "page", "entry": [{"id": "1", "changes": [change]}]})
    assert answer.status_code == 200, answer.text
    [record] = topic.new(1)
    assert record.key == b"ad_lead:meta:4444"


def test_ocean_engine_clue_replayed_is_answered_without_publishing_again(
    client: httpx.Client, topic: TopicWatch
) -> None:
    body = orjson.dumps({"clue_id": "oe-1", "telephone": "13800138000", "ad_id": 5})
    headers = clue_headers(body, OCEAN_SECRET)
    first = client.post("/v1/channels/ads/oceanengine", content=body, headers=headers)
    replay = client.post("/v1/channels/ads/oceanengine", content=body, headers=headers)
    assert first.json() == {"code": 0, "message": "success"}
    assert (replay.status_code, replay.json()["message"]) == (200, "duplicate")
    [event] = topic.events(1)
    assert event["properties"] == {
        "platform": "oceanengine",
        "lead_id": "oe-1",
        "ad_id": "5",
        "is_test": False,
    }


def test_one_phone_from_google_ocean_engine_and_tencent_is_one_kafka_key(
    client: httpx.Client, topic: TopicWatch, server: tuple[Settings, httpx.Client]
) -> None:
    client.post("/v1/channels/ads/google", json=google_lead("lead-g-2", phone="+86 138 0013 8000"))
    clue_post(
        client, "oceanengine", {"clue_id": "oe-2", "telephone": "138-0013-8000"}, OCEAN_SECRET
    )
    clue_post(
        client, "tencent", [{"leads_id": "tx-2", "leads_tel": "8613800138000"}], TENCENT_SECRET
    )
    digest = keyed_hash(server[0].pii_hmac_secret, "+8613800138000")
    assert {record.key for record in topic.new(3)} == {f"phone:{digest}".encode()}


def test_a_misconfigured_platform_is_404(client: httpx.Client, topic: TopicWatch) -> None:
    answer = clue_post(client, "baidu", {"clue_id": "1"}, OCEAN_SECRET)
    assert (answer.status_code, answer.json()["code"]) == (404, "not_configured")
    assert topic.nothing_new()


REFUSALS = [
    ("google: wrong google_key", 403, "bad_signature"),
    ("google: malformed JSON", 400, "malformed_json"),
    ("google: lead without lead_id", 400, "missing_field"),
    ("meta: forged signature", 403, "bad_signature"),
    ("meta: leadgen without leadgen_id", 400, "missing_field"),
    ("oceanengine: wrong secret", 403, "bad_signature"),
    ("oceanengine: stale timestamp", 403, "stale_timestamp"),
    ("oceanengine: clue without clue_id", 400, "missing_field"),
    ("tencent: not JSON", 400, "malformed_json"),
]


@pytest.mark.parametrize(("case", "status", "code"), REFUSALS)
def test_refused_leads_publish_nothing(
    client: httpx.Client, topic: TopicWatch, case: str, status: int, code: str
) -> None:
    lead_without_id = {
        "object": "page",
        "entry": [{"changes": [{"field": "leadgen", "value": {}}]}],
    }
    match case:
        case "google: wrong google_key":
            answer = client.post("/v1/channels/ads/google", json=google_lead("g", google_key="x"))
        case "google: malformed JSON":
            answer = client.post("/v1/channels/ads/google", content=b'{"lead_id": ')
        case "google: lead without lead_id":
            answer = client.post("/v1/channels/ads/google", json={"google_key": GOOGLE_KEY})
        case "meta: forged signature":
            answer = meta_post(client, {"object": "page", "entry": []}, "sha256=" + "0" * 64)
        case "meta: leadgen without leadgen_id":
            answer = meta_post(client, lead_without_id)
        case "oceanengine: wrong secret":
            answer = clue_post(client, "oceanengine", {"clue_id": "1"}, "not-the-secret")
        case "oceanengine: stale timestamp":
            body = b'{"clue_id": "1"}'
            headers = clue_headers(body, OCEAN_SECRET, timestamp=1_000_000_000)
            answer = client.post("/v1/channels/ads/oceanengine", content=body, headers=headers)
        case "oceanengine: clue without clue_id":
            answer = clue_post(client, "oceanengine", {"telephone": "13800138000"}, OCEAN_SECRET)
        case "tencent: not JSON":
            body = b"leads_id=1"
            answer = client.post(
                "/v1/channels/ads/tencent", content=body, headers=clue_headers(body, TENCENT_SECRET)
            )
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.json()["message"]
    assert topic.nothing_new()

"""Posting over HTTP to the real ingest app and reading the events back from the real topic."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from services.ingest import examples
from services.pii import keyed_hash
from services.settings import DEV_WRITE_KEY, Settings
from tests.support.ingest import (
    SLOW_KEY,
    WECHAT_KEY,
    RawTopic,
    headers_of,
    own_topics,
    running_ingest,
    with_test_keys,
)


@pytest.fixture
def settings(isolated_settings: Settings) -> Settings:
    return with_test_keys(isolated_settings)


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    with (
        running_ingest(settings) as base_url,
        httpx.Client(base_url=base_url, auth=(DEV_WRITE_KEY, ""), timeout=20) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def shared_client(kafka_bootstrap: str) -> Iterator[httpx.Client]:
    """One server for the tests that publish nothing worth reading back."""
    with (
        running_ingest(with_test_keys(own_topics(kafka_bootstrap))) as base_url,
        httpx.Client(base_url=base_url, auth=(DEV_WRITE_KEY, ""), timeout=20) as client,
    ):
        yield client


@pytest.fixture
def topic(settings: Settings) -> Iterator[RawTopic]:
    reader = RawTopic(settings)
    yield reader
    reader.close()


def test_segment_track_lands_keyed_by_user_with_type_headers_and_hashed_email(
    client: httpx.Client, topic: RawTopic, settings: Settings
) -> None:
    answer = client.post("/v1/track", json=examples.SEGMENT_TRACK)

    assert answer.status_code == 200, answer.text
    [record] = topic.read(1)
    assert record.key == b"user:u-1024"
    assert headers_of(record) == {
        "event_type": b"form_submitted",
        "schema_version": b"2",  # it carries the sealed contact (its email), a version 2 field
        "channel": b"website",
    }
    event = orjson.loads(record.value)
    assert event["contact"]["key_id"].startswith("k_")
    assert event["identities"]["email_hash"] == keyed_hash(
        settings.pii_hmac_secret, "li.wei@example.cn"
    )
    assert b"li.wei" not in record.value.lower()
    assert event["event_id"] == examples.SEGMENT_TRACK["messageId"]


def test_every_segment_call_type_is_published(client: httpx.Client, topic: RawTopic) -> None:
    for call_type in ("page", "identify", "alias", "group", "screen"):
        body = {"anonymousId": "a-1", "messageId": f"m-{call_type}", "name": "Home"}
        if call_type in ("alias", "group"):
            body |= {"userId": "u-1", "previousId": "a-0", "groupId": "g-1"}
        if call_type == "page":
            body["properties"] = {"url": "https://example.cn/"}
        answer = client.post(f"/v1/{call_type}", json=body)
        assert answer.status_code == 200, (call_type, answer.text)

    records = topic.by_event_id(5)
    types = {event_id: headers_of(r)["event_type"] for event_id, r in records.items()}
    assert types == {
        "m-page": b"page_viewed",
        "m-identify": b"identify",
        "m-alias": b"identify",
        "m-group": b"identify",
        "m-screen": b"custom",
    }


def test_write_key_in_the_body_authenticates_segment_calls(
    settings: Settings, topic: RawTopic
) -> None:
    with running_ingest(settings) as base_url:
        body = {**examples.SEGMENT_PAGE, "writeKey": DEV_WRITE_KEY, "messageId": "wk-body"}
        answer = httpx.post(f"{base_url}/v1/page", json=body, timeout=20)
    assert answer.status_code == 200, answer.text
    assert b"wk_dev" not in topic.read(1)[0].value


def test_native_batch_answers_per_event_and_publishes_only_the_accepted(
    client: httpx.Client, topic: RawTopic
) -> None:
    bad = {**examples.NATIVE_WECHAT_QR, "event_id": "bad-1", "properties": {"scene": ""}}
    good = {**examples.NATIVE_WECHAT_QR, "event_id": "good-1"}
    answer = client.post(
        "/v1/events/batch", json={"events": [examples.NATIVE_PAGE_VIEWED, bad, good]}
    )

    assert answer.status_code == 207, answer.text
    body = answer.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert body["results"][1] == {
        "index": 1,
        "status": "rejected",
        "code": "invalid_value",
        "pointer": "/events/1/properties/scene",
        "message": body["results"][1]["message"],
    }
    records = topic.by_event_id(2)
    assert set(records) == {"web-9c1d2e", "good-1"}
    assert records["good-1"].key == b"wx_open:wx1234/oAbC123"


def test_crm_endpoints_take_one_record_or_a_list(client: httpx.Client, topic: RawTopic) -> None:
    second = {**examples.CRM_STAGE_CHANGE, "event_id": "crm-2", "stage": "won"}
    one = client.post("/v1/crm/stage-changes", json=examples.CRM_STAGE_CHANGE)
    many = client.post("/v1/crm/stage-changes", json=[second])
    talk = client.post("/v1/crm/communications", json=examples.CRM_COMMUNICATION)

    assert [one.status_code, many.status_code, talk.status_code] == [200, 200, 200]
    records = topic.by_event_id(3)
    assert headers_of(records["crm-2"])["channel"] == b"crm"
    assert records["crm-call-501"].key == b"crm:L-2001"


def test_gzip_bodies_are_accepted(client: httpx.Client, topic: RawTopic) -> None:
    body = gzip.compress(orjson.dumps({**examples.SEGMENT_PAGE, "messageId": "gz-1"}))
    answer = client.post(
        "/v1/page",
        content=body,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert answer.status_code == 200, answer.text
    assert orjson.loads(topic.read(1)[0].value)["event_id"] == "gz-1"


BAD_REQUESTS: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("/v1/track", {"content": b"{oops"}, 400, "malformed_json", ""),
    (
        "/v1/track",
        {"content": b"{}", "headers": {"content-type": "text/xml"}},
        415,
        "unsupported_media_type",
        "",
    ),
    ("/v1/track", {"json": {"userId": "u"}}, 400, "missing_field", "/event"),
    ("/v1/track", {"json": {"event": "x"}}, 400, "missing_identity", "/userId"),
    (
        "/v1/track",
        {"json": {"userId": "u", "event": "x", "timestamp": "x"}},
        400,
        "invalid_timestamp",
        "/timestamp",
    ),
    ("/v1/track", {"json": {"userId": "u", "event": 5}}, 400, "invalid_value", "/event"),
    (
        "/v1/track",
        {"json": {"userId": "u", "event": "x", "channel": "fax"}},
        400,
        "unknown_channel",
        "/channel",
    ),
    (
        "/v1/track",
        {"json": {"userId": "u", "event": "x", "p": "x" * 40_000}},
        413,
        "payload_too_large",
        "",
    ),
    (
        "/v1/batch",
        {"json": {"batch": [{"type": "track", "userId": "u", "event": "x" * 300}]}},
        400,
        "invalid_value",
        "/batch/0/event",
    ),
    (
        "/v1/batch",
        {"json": {"batch": [{"type": "x", "p": "y" * 40_000}]}},
        400,
        "event_too_large",
        "/batch/0",
    ),
    (
        "/v1/batch",
        {
            "json": {
                "batch": [
                    {"userId": f"u{i}", "type": "identify", "traits": {"t": "z" * 20_000}}
                    for i in range(30)
                ]
            }
        },
        413,
        "payload_too_large",
        "",
    ),
    ("/v1/batch", {"json": {"events": []}}, 400, "missing_field", "/batch"),
    ("/v1/events", {"json": [examples.NATIVE_PAGE_VIEWED]}, 400, "invalid_value", ""),
    (
        "/v1/events",
        {"json": {**examples.NATIVE_PAGE_VIEWED, "channel": "fax"}},
        400,
        "invalid_value",
        "/channel",
    ),
    (
        "/v1/events",
        {"json": {**examples.NATIVE_PAGE_VIEWED, "identities": {"phone": "x"}}},
        400,
        "invalid_value",
        "/identities/phone",
    ),
    (
        "/v1/crm/stage-changes",
        {"json": {**examples.CRM_STAGE_CHANGE, "stage": "closing"}},
        400,
        "unknown_stage",
        "/stage",
    ),
]


@pytest.mark.parametrize(("path", "request_args", "status", "code", "where"), BAD_REQUESTS)
def test_bad_input_gets_a_precise_4xx_naming_the_field(
    shared_client: httpx.Client,
    path: str,
    request_args: dict[str, Any],
    status: int,
    code: str,
    where: str,
) -> None:
    args = dict(request_args)
    if "content" in args:
        args.setdefault("headers", {"content-type": "application/json"})
    answer = shared_client.post(path, **args)

    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["code"] == code
    assert (body["results"][0] if "results" in body else body)["pointer"] == where


def test_missing_and_unknown_write_keys_are_401(shared_client: httpx.Client) -> None:
    url = str(shared_client.base_url.join("/v1/track"))
    missing = httpx.post(url, json=examples.SEGMENT_TRACK)
    unknown = shared_client.post("/v1/track", json=examples.SEGMENT_TRACK, auth=("wk_guess", ""))
    assert (missing.status_code, unknown.status_code) == (401, 401)
    assert unknown.json()["message"] == "unknown write key"
    assert "Basic" in missing.headers["www-authenticate"]


def test_a_key_posting_outside_its_channels_is_403(client: httpx.Client, topic: RawTopic) -> None:
    website = client.post("/v1/events", json=examples.NATIVE_PAGE_VIEWED, auth=(WECHAT_KEY, ""))
    wechat = client.post("/v1/events", json=examples.NATIVE_WECHAT_QR, auth=(WECHAT_KEY, ""))
    assert website.status_code == 403 and website.json()["code"] == "forbidden_channel"
    assert wechat.status_code == 200
    assert orjson.loads(topic.read(1)[0].value)["source"] == "wechat-bot"


def test_a_key_over_its_rate_gets_429_with_retry_after(shared_client: httpx.Client) -> None:
    answers = [
        shared_client.post("/v1/page", json=examples.SEGMENT_PAGE, auth=(SLOW_KEY, ""))
        for _ in range(6)
    ]
    statuses = [answer.status_code for answer in answers]
    assert statuses[:4] == [200] * 4 and 429 in statuses[4:]
    limited = next(answer for answer in answers if answer.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1 and limited.json()["code"] == "rate_limited"


def test_metrics_count_received_accepted_and_rejected_by_channel_type_and_reason(
    client: httpx.Client,
) -> None:
    client.post("/v1/events", json={**examples.NATIVE_WECHAT_QR, "properties": {}})
    client.post("/v1/events", json=examples.NATIVE_WECHAT_QR)
    text = client.get("/metrics").text

    assert (
        'leadfunnel_ingest_events_accepted_total{channel="wechat",type="wechat_qr_scanned"}' in text
    )
    assert (
        'leadfunnel_ingest_events_rejected_total{channel="wechat",reason="missing_field",'
        'type="wechat_qr_scanned"}'
    ) in text
    assert (
        'leadfunnel_ingest_request_seconds_count{method="POST",route="/v1/events",status="200"}'
        in text
    )
    assert "leadfunnel_ingest_produce_seconds_count" in text
    assert "leadfunnel_ingest_requests_in_flight" in text


def test_openapi_docs_show_examples(shared_client: httpx.Client) -> None:
    spec = shared_client.get("/openapi.json").json()
    body = spec["paths"]["/v1/track"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["track"]["value"]["event"] == "Form Submitted"
    assert shared_client.get("/docs").status_code == 200
    assert shared_client.get("/readyz").json()["status"] == "ready"


def test_write_keys_and_raw_pii_never_reach_the_logs(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    client.post("/v1/track", json=examples.SEGMENT_TRACK)
    client.post("/v1/identify", json={"userId": "u", "traits": {"email": "not-an-email"}})
    client.post("/v1/track", json=examples.SEGMENT_TRACK, auth=("wk_secret_guess", ""))
    logged = caplog.text.lower()
    assert DEV_WRITE_KEY not in logged and "wk_secret_guess" not in logged
    assert "li.wei" not in logged and "not-an-email" not in logged


def test_segment_import_is_the_batch_endpoint_under_segments_other_name(
    client: httpx.Client, topic: RawTopic
) -> None:
    calls = [
        {"type": "track", "userId": "imp-1", "event": "Form Submitted", "messageId": "imp-a"},
        {"type": "identify", "userId": "imp-1", "messageId": "imp-b", "traits": {"plan": "pro"}},
    ]

    answer = client.post("/v1/import", json={"batch": calls})

    assert answer.status_code == 200 and answer.json()["accepted"] == 2
    assert sorted(orjson.loads(r.value)["event_id"] for r in topic.read(2)) == ["imp-a", "imp-b"]

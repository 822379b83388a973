"""The website collector over HTTP into the real topic: beacons, CORS, bots, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from services.settings import DEV_WRITE_KEY, Settings
from tests.support.channel_server import TopicWatch, channel_server

SITE = "https://www.example.cn"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"
BROWSER = {"Origin": SITE, "User-Agent": CHROME, "Content-Type": "text/plain;charset=UTF-8"}
COLLECT = "/v1/channels/website/collect"


@pytest.fixture(scope="module")
def server(kafka_bootstrap: str) -> Iterator[tuple[Settings, httpx.Client]]:
    with channel_server(kafka_bootstrap, collector_allowed_origins=[SITE]) as running:
        yield running


def beacon(*events: dict[str, Any], key: str = DEV_WRITE_KEY) -> bytes:
    return orjson.dumps({"writeKey": key, "anonymousId": "anon12345678", "events": list(events)})


PAGE = {"type": "page_viewed", "messageId": "msg00000001", "properties": {"url": f"{SITE}/"}}


def test_the_snippet_is_served_as_javascript(client: httpx.Client) -> None:
    answer = client.get("/v1/channels/website/collector.js")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "sendBeacon" in answer.text and "/v1/channels/website/collect" in answer.text


def test_a_text_plain_beacon_from_an_allowed_origin_is_published(
    client: httpx.Client, topic: TopicWatch
) -> None:
    form = {
        "type": "form_submitted",
        "messageId": "msg00000002",
        "properties": {"form_id": "trial"},
    }
    answer = client.post(COLLECT, content=beacon(PAGE, form), headers=BROWSER)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == SITE
    events = topic.events(2)
    assert {event["type"] for event in events} == {"page_viewed", "form_submitted"}
    assert {event["channel"] for event in events} == {"website"}


def test_preflight_is_answered_for_allowed_origins_only(client: httpx.Client) -> None:
    asked = {"Access-Control-Request-Method": "POST", "Origin": SITE}
    allowed = client.options(COLLECT, headers=asked)
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == SITE
    refused = client.options(COLLECT, headers={**asked, "Origin": "https://evil.example"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


def test_bots_are_answered_but_dropped(client: httpx.Client, topic: TopicWatch) -> None:
    bot = {**BROWSER, "User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}
    assert client.post(COLLECT, content=beacon(PAGE), headers=bot).status_code == 204
    assert topic.nothing_new()


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("foreign origin", 403, "forbidden_origin"),
        ("unknown write key", 401, "unauthorized"),
        ("malformed JSON", 400, "malformed_json"),
        ("event without its url", 400, "missing_field"),
    ],
)
def test_refused_beacons_publish_nothing(
    client: httpx.Client, topic: TopicWatch, case: str, status: int, code: str
) -> None:
    headers, body = BROWSER, beacon(PAGE)
    match case:
        case "foreign origin":
            headers = {**BROWSER, "Origin": "https://evil.example"}
        case "unknown write key":
            body = beacon(PAGE, key="wk_guess")
        case "malformed JSON":
            body = b'{"writeKey": "' + DEV_WRITE_KEY.encode() + b'", "events": ['
        case "event without its url":
            body = beacon({**PAGE, "properties": {}})
    answer = client.post(COLLECT, content=body, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert topic.nothing_new()

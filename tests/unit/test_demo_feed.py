"""How the demo posts: one batch per public API in time order, retries, rejections, errors."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from demo.cli import main
from demo.feed import FeedError, feed, wait_ready
from demo.live import LIVE_DAY_SECONDS, live_story
from demo.plan import DemoConfig
from tests.support.demo_factories import dataset

Handler = Callable[[httpx.Request], httpx.Response]


def accept_all(seen: list[httpx.Request]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = orjson.loads(request.content)
        items = body["events"] if isinstance(body, dict) else body
        results = [{"index": i, "status": "accepted"} for i in range(len(items))]
        return httpx.Response(200, json={"success": True, "results": results})

    return handle


def client(handler: Handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler), auth=("wk_test", ""))


def test_records_go_to_their_api_in_event_time_order_with_the_write_key() -> None:
    seen: list[httpx.Request] = []
    posts = dataset().posts

    tally = feed(client(accept_all(seen)), "http://ingest", posts)

    paths = {request.url.path for request in seen}
    assert paths == {"/v1/events/batch", "/v1/crm/stage-changes", "/v1/crm/communications"}
    assert tally.accepted == len(posts) and not tally.rejected
    sent: list[dict[str, Any]] = []
    for request in seen:
        body = orjson.loads(request.content)
        sent += body["events"] if isinstance(body, dict) else body
    assert sorted(b["event_id"] for b in sent) == sorted(p.event_id for p in posts)
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(b"wk_test:").decode()


def test_a_rate_limited_batch_waits_and_is_sent_again() -> None:
    seen: list[httpx.Request] = []
    ok = accept_all(seen)

    def handle(request: httpx.Request) -> httpx.Response:
        if not seen:
            seen.append(request)
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"code": "rate_limited"})
        return ok(request)

    posts = dataset().posts[:20]
    tally = feed(client(handle), "http://ingest", posts)

    assert tally.accepted == 20 and len(seen) >= 2


def test_rejections_are_reported_with_the_field_that_failed() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        rejected = {"index": 0, "status": "rejected", "code": "invalid_value", "pointer": "/x"}
        return httpx.Response(207, json={"results": [rejected, {"index": 1, "status": "accepted"}]})

    posts = [p for p in dataset().posts if p.api == "events"][:2]
    tally = feed(client(handle), "http://ingest", posts)

    assert tally.accepted == 1
    assert "invalid_value at '/x'" in tally.rejected[0]


def test_a_refused_write_key_stops_the_feed() -> None:
    refuse = client(lambda request: httpx.Response(401, json={"code": "unauthorized"}))

    with pytest.raises(FeedError, match="write key"):
        feed(refuse, "http://ingest", dataset().posts[:5])


def test_unreachable_ingest_is_a_clear_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(FeedError, match=r"not reachable at http://ingest.*make run"):
        wait_ready(client(down), "http://ingest", timeout=0)


def test_the_command_exits_2_when_ingest_is_not_running(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--ingest-url", "http://127.0.0.1:9", "--wait-ready", "0", "--leads", "5"])

    assert code == 2
    assert "ingest is not reachable at http://127.0.0.1:9" in capsys.readouterr().err


def test_a_live_lead_plays_its_story_in_seconds_from_now() -> None:
    started = datetime(2026, 11, 27, 12, tzinfo=UTC)
    stories = [live_story(DemoConfig(seed=5), n, started) for n in range(40)]

    times = [post.occurred_at for story in stories for post in story]
    assert min(times) >= started
    assert max(times) < started + timedelta(seconds=LIVE_DAY_SECONDS * 120)
    kinds = {post.body.get("type") for story in stories for post in story}
    assert {"form_submitted", "video_watched"} <= kinds
    assert any(post.api == "stage_changes" for story in stories for post in story)

"""Website collector: beacons mapped to our events, origins, bots, and the retry caches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.requests import Request

from services.channels.browsers import Browsers
from services.channels.collector_events import beacon_event, beacon_items
from services.channels.config import DEFAULT_BOT_USER_AGENTS
from services.channels.dedupe import RecentIds, derived_event_id
from services.ingest.envelope import Stamp
from services.ingest.rejections import Rejection
from services.pii import PiiHasher, keyed_hash
from services.settings import WriteKey

NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
SECRET = "pii-secret"
STAMP = Stamp(NOW, "dev", PiiHasher(SECRET, "CN"))
KEY = WriteKey(name="dev", sha256="0" * 64)
ANON = "a1b2c3d4e5f6a7b8"


def beacon(*events: dict[str, Any], **shared: Any) -> dict[str, Any]:
    context = {"page": {"url": "https://x.cn/p"}, "campaign": {"name": "spring"}, "email": "x"}
    return {
        "writeKey": "wk",
        "anonymousId": ANON,
        "context": context,
        "events": list(events),
        **shared,
    }


def mapped(body: dict[str, Any]) -> list[Any]:
    items = beacon_items(32 * 1024)(body)
    assert not isinstance(items, Rejection)
    return [beacon_event(item, STAMP, KEY) for _, item in items]


def test_page_view_carries_dwell_anonymous_id_campaign_and_no_pii_from_context() -> None:
    view = {
        "type": "page_viewed",
        "messageId": "m0000001",
        "properties": {"url": "https://x.cn/p", "dwell_seconds": 12.5},
    }
    [event] = mapped(beacon(view))
    assert event.properties.dwell_seconds == 12.5
    assert event.identities.anonymous_id == ANON and event.event_id == "m0000001"
    assert event.campaign == "spring" and "email" not in event.context


def test_identify_after_a_form_links_the_anonymous_id_to_hashed_email_and_phone() -> None:
    identify = {
        "type": "identify",
        "messageId": "m0000002",
        "traits": {"email": "Li@X.cn", "phone": "13800138000"},
    }
    [event] = mapped(beacon(identify))
    assert event.identities.anonymous_id == ANON
    assert event.identities.email_hash == keyed_hash(SECRET, "li@x.cn")
    assert event.identities.phone_hash == keyed_hash(SECRET, "+8613800138000")
    assert event.properties.traits == {}


def test_client_clock_skew_is_corrected_with_sent_at() -> None:
    skewed = NOW + timedelta(hours=3)
    item = {
        "type": "demo_requested",
        "messageId": "m0000003",
        "timestamp": (skewed - timedelta(seconds=5)).isoformat(),
    }
    [event] = mapped(beacon(item, sentAt=skewed.isoformat()))
    assert event.occurred_at == NOW - timedelta(seconds=5)


@pytest.mark.parametrize(
    ("item", "pointer"),
    [
        (
            {"type": "page_viewed", "messageId": "m0000004", "properties": {"dwell_seconds": 1}},
            "/properties/url",
        ),
        ({"type": "page_viewed", "messageId": "short"}, "/messageId"),
        ({"type": "email_opened", "messageId": "m0000005"}, "/type"),
        (
            {
                "type": "asset_downloaded",
                "messageId": "m0000006",
                "properties": {"asset_id": "a", "asset_kind": "poster"},
            },
            "/properties/asset_kind",
        ),
    ],
)
def test_malformed_beacon_events_name_the_field(item: dict[str, Any], pointer: str) -> None:
    [refused] = mapped(beacon(item))
    assert isinstance(refused, Rejection) and refused.status == 400 and refused.pointer == pointer


def request(headers: dict[str, str]) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": raw,
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "query_string": b"",
        "root_path": "",
    }
    return Request(scope)


CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"


def test_only_configured_origins_and_the_service_itself_may_post() -> None:
    browsers = Browsers(["https://www.example.cn/"], DEFAULT_BOT_USER_AGENTS)
    assert browsers.origin_allowed(
        request({"origin": "https://www.example.cn", "host": "127.0.0.1:8000"})
    )
    assert browsers.origin_allowed(
        request({"origin": "http://127.0.0.1:8000", "host": "127.0.0.1:8000"})
    )
    assert browsers.origin_allowed(request({"host": "127.0.0.1:8000"}))  # not a browser
    evil = request({"origin": "https://evil.example", "host": "127.0.0.1:8000"})
    assert not browsers.origin_allowed(
        evil
    ) and "Access-Control-Allow-Origin" not in browsers.cors_headers(evil)


@pytest.mark.parametrize(
    ("agent", "is_bot"),
    [
        (CHROME, False),
        ("Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 MicroMessenger/8.0.47 NetType/WIFI", False),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", True),
        ("Mozilla/5.0 (compatible; Baiduspider/2.0)", True),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/124.0 Safari/537.36",
            True,
        ),
        ("curl/8.5.0", True),
        ("", True),
    ],
)
def test_bots_are_recognised_by_user_agent(agent: str, is_bot: bool) -> None:
    browsers = Browsers([], DEFAULT_BOT_USER_AGENTS)
    assert browsers.is_bot(request({"user-agent": agent} if agent else {})) is is_bot


def test_recent_ids_forget_after_their_ttl_and_keep_a_bounded_number() -> None:
    now = [0.0]
    recent = RecentIds(ttl=10, max_entries=2, clock=lambda: now[0])
    recent.remember("a")
    assert recent.seen("a") and not recent.seen("b")
    now[0] = 11
    assert not recent.seen("a")
    recent.remember("b", "c", "d")
    assert not recent.seen("b") and recent.seen("c") and recent.seen("d")


def test_derived_event_ids_are_deterministic_and_namespaced_by_channel() -> None:
    assert derived_event_id("meta", "1") == derived_event_id("meta", "1")
    assert derived_event_id("meta", "1") != derived_event_id("google_ads", "1")
    assert derived_event_id("a", "b", "c") != derived_event_id("a", "bc")

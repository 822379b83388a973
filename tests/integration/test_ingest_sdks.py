"""The official Segment and RudderStack Python SDKs, pointed at our ingest, land events in Kafka."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from rudderstack.analytics import Client as RudderClient
from segment.analytics import Client as SegmentClient

from services.pii import keyed_hash
from services.settings import DEV_WRITE_KEY, Settings
from tests.support.ingest import RawTopic, headers_of, running_ingest

EXPECTED_TYPES = {
    "track": b"form_submitted",
    "identify": b"identify",
    "page": b"page_viewed",
    "screen": b"custom",
    "group": b"identify",
    "alias": b"identify",
    "custom": b"custom",
}


@pytest.fixture
def served(isolated_settings: Settings) -> Iterator[tuple[str, RawTopic]]:
    topic = RawTopic(isolated_settings)
    with running_ingest(isolated_settings) as base_url:
        yield base_url, topic
    topic.close()


def _send_one_of_each(client: Any, sdk: str) -> None:
    when = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    client.track(
        user_id="u-1",
        event="Form Submitted",
        properties={"form_id": "contact", "email": "Li.Wei@Example.cn"},
        timestamp=when,
        message_id=f"{sdk}-track",
    )
    client.identify(
        user_id="u-1",
        traits={"email": " LI.WEI@example.cn", "phone": "138 0013 8000", "plan": "pro"},
        message_id=f"{sdk}-identify",
    )
    client.page(
        anonymous_id="a-1",
        name="Pricing",
        properties={"url": "https://example.cn/pricing"},
        message_id=f"{sdk}-page",
    )
    client.screen(user_id="u-1", name="Home", message_id=f"{sdk}-screen")
    client.group(user_id="u-1", group_id="acme", traits={"name": "ACME"}, message_id=f"{sdk}-group")
    client.alias(previous_id="a-1", user_id="u-1", message_id=f"{sdk}-alias")
    client.track(anonymous_id="a-2", event="Brochure Liked", message_id=f"{sdk}-custom")
    client.flush()


def _check(topic: RawTopic, sdk: str, settings: Settings) -> None:
    records = topic.by_event_id(len(EXPECTED_TYPES))
    assert {event_id: headers_of(r)["event_type"] for event_id, r in records.items()} == {
        f"{sdk}-{call}": kind for call, kind in EXPECTED_TYPES.items()
    }
    email = keyed_hash(settings.pii_hmac_secret, "li.wei@example.cn")
    phone = keyed_hash(settings.pii_hmac_secret, "+8613800138000")
    identify = orjson.loads(records[f"{sdk}-identify"].value)
    assert (identify["identities"]["email_hash"], identify["identities"]["phone_hash"]) == (
        email,
        phone,
    )
    assert orjson.loads(records[f"{sdk}-track"].value)["occurred_at"].startswith("2026-11-27T09:30")
    assert records[f"{sdk}-track"].key == b"user:u-1"
    assert records[f"{sdk}-page"].key == b"anon:a-1"
    for record in records.values():
        assert b"li.wei" not in record.value.lower()
        assert b"13800138000" not in record.value


def test_segment_analytics_python_sdk_posts_every_call_type(
    served: tuple[str, RawTopic], isolated_settings: Settings
) -> None:
    base_url, topic = served
    errors: list[Exception] = []
    client = SegmentClient(
        DEV_WRITE_KEY, host=base_url, on_error=lambda error, _: errors.append(error), max_retries=1
    )
    _send_one_of_each(client, "segment")
    client.shutdown()

    assert errors == []
    _check(topic, "segment", isolated_settings)


def test_rudder_sdk_python_posts_every_call_type_gzipped(
    served: tuple[str, RawTopic], isolated_settings: Settings
) -> None:
    base_url, topic = served
    errors: list[Exception] = []
    client = RudderClient(
        DEV_WRITE_KEY,
        host=base_url,
        gzip=True,
        on_error=lambda error, _: errors.append(error),
        max_retries=1,
    )
    _send_one_of_each(client, "rudder")
    client.join()

    assert errors == []
    _check(topic, "rudder", isolated_settings)


def test_segment_sdk_in_sync_mode_sees_our_error_code_for_a_bad_call(
    served: tuple[str, RawTopic],
) -> None:
    base_url, _ = served
    client = SegmentClient(DEV_WRITE_KEY, host=base_url, sync_mode=True, max_retries=0)
    with pytest.raises(Exception, match="invalid_value") as raised:
        client.track(user_id="u-1", event="Form Submitted", properties={"form_id": "f" * 201})
    assert getattr(raised.value, "status", None) == 400

"""Ad-platform adapters: Google's key, Meta's signatures, clue-push profiles, one phone hash."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from schemas.events import Channel
from services.channels.ads.google import check_key, google_draft
from services.channels.ads.meta import check_signature, meta_drafts, verify_subscription
from services.channels.ads.push import check_signature as push_signature
from services.channels.ads.push import push_draft
from services.channels.config import AdPushProfile
from services.channels.drafts import finish
from services.ingest.envelope import Stamp
from services.ingest.rejections import Rejection
from services.pii import PiiHasher, keyed_hash
from tests.support.channels import (
    GOOGLE_KEY,
    META_SECRET,
    META_TOKEN,
    OCEAN_SECRET,
    clue_headers,
    meta_signature,
)

NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
SECRET = "pii-secret"
STAMP = Stamp(NOW, "test", PiiHasher(SECRET, "CN"))
OCEAN = AdPushProfile(platform="oceanengine", secret=OCEAN_SECRET)
TENCENT = AdPushProfile(platform="tencent", secret="tencent-secret")


def google_lead(**changes: Any) -> dict[str, Any]:
    lead = {
        "lead_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "api_version": "1.0",
        "form_id": 40000000000,
        "campaign_id": 12345678901,
        "google_key": GOOGLE_KEY,
        "is_test": True,
        "gcl_id": "EAIaIQobChMI",
        "adgroup_id": 20000000000,
        "creative_id": 30000000000,
        "user_column_data": [
            {"column_name": "Full Name", "string_value": "王小明", "column_id": "FULL_NAME"},
            {
                "column_name": "User Phone",
                "string_value": "138 0013 8000",
                "column_id": "PHONE_NUMBER",
            },
            {"column_name": "User Email", "string_value": "Wang@Example.cn", "column_id": "EMAIL"},
            {"column_name": "Company", "string_value": "Acme", "column_id": "COMPANY_NAME"},
        ],
    }
    return {**lead, **changes}


def test_google_lead_becomes_a_tagged_test_lead_with_hashed_contacts_and_no_name() -> None:
    event = finish(google_draft(google_lead(), NOW), Channel.ADS, STAMP)  # type: ignore[arg-type]
    assert not isinstance(event, Rejection)
    assert event.type == "ad_lead_submitted"
    assert event.properties.is_test is True and event.context["is_test"] is True  # type: ignore[union-attr]
    assert event.campaign == "12345678901"
    assert event.identities.ad_lead_id == "google_ads:TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert event.identities.ad_click_id == "EAIaIQobChMI"
    assert event.identities.email_hash == keyed_hash(SECRET, "wang@example.cn")
    assert "lead_form" not in event.context  # company, title, city: sealed contact details
    text = orjson.dumps(event.model_dump(mode="json")).decode()
    assert "王小明" not in text and "Acme" not in text
    assert STAMP.contacts[event.event_id].company == "Acme"


@pytest.mark.parametrize("given", [{"google_key": "wrong"}, {"google_key": None}, {}])
def test_google_lead_without_the_configured_key_is_refused(given: dict[str, Any]) -> None:
    refused = check_key({**google_lead(), **given} if given else {"lead_id": "x"}, GOOGLE_KEY)
    assert isinstance(refused, Rejection) and refused.status == 403
    assert check_key(google_lead(), GOOGLE_KEY) is None
    assert check_key(google_lead(google_key=""), "") is not None  # unconfigured: nobody gets in


def test_google_lead_without_lead_id_names_the_field() -> None:
    lead = google_lead()
    del lead["lead_id"]
    refused = google_draft(lead, NOW)
    assert isinstance(refused, Rejection) and (refused.pointer, refused.status) == ("/lead_id", 400)


def test_meta_verification_echoes_the_challenge_for_the_verify_token_only() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": META_TOKEN, "hub.challenge": "1158201444"}
    assert verify_subscription(query, META_TOKEN) == "1158201444"
    forged = verify_subscription({**query, "hub.verify_token": "guess"}, META_TOKEN)
    assert isinstance(forged, Rejection) and forged.status == 403
    assert isinstance(verify_subscription(query, ""), Rejection)


def meta_body(*values: dict[str, Any]) -> dict[str, Any]:
    changes = [{"field": "leadgen", "value": value} for value in values]
    changes.append({"field": "feed", "value": {"item": "status"}})
    return {"object": "page", "entry": [{"id": "153125381133", "time": 1, "changes": changes}]}


def test_meta_signature_is_hmac_sha256_of_the_raw_body_with_the_app_secret() -> None:
    body = orjson.dumps(meta_body({"leadgen_id": "444444444444"}))
    assert check_signature(body, meta_signature(body), META_SECRET) is None
    for header in (None, "sha256=" + "0" * 64, meta_signature(body, "other-secret")):
        refused = check_signature(body, header, META_SECRET)
        assert isinstance(refused, Rejection) and refused.status == 403
    assert isinstance(check_signature(body, meta_signature(body, ""), ""), Rejection)


def test_each_meta_leadgen_change_becomes_a_lead_keyed_by_its_leadgen_id() -> None:
    value = {"leadgen_id": 444444444444, "created_time": 1714550400, "ad_id": "0", "form_id": "9"}
    [draft] = meta_drafts(meta_body(value), NOW)  # type: ignore[misc]
    assert draft.identities == {"ad_lead_id": "meta:444444444444"}
    assert draft.properties["lead_id"] == "444444444444"
    assert draft.occurred_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_meta_change_without_leadgen_id_points_at_it() -> None:
    refused = meta_drafts(meta_body({"leadgen_id": "1"}, {"page_id": "2"}), NOW)
    assert isinstance(refused, Rejection) and refused.status == 400
    assert refused.pointer == "/entry/0/changes/1/value/leadgen_id"


def test_clue_push_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"clue_id": "7"}'
    now = time.time()
    headers = clue_headers(body, OCEAN_SECRET)
    assert push_signature(OCEAN, headers, body, now, 300) == headers["X-Signature"]
    prefixed = {**headers, "X-Signature": "sha256=" + headers["X-Signature"]}
    assert push_signature(OCEAN, prefixed, body, now, 300) == headers["X-Signature"]
    checks = [
        (clue_headers(body, "wrong-secret"), body, "bad_signature"),
        (headers, body + b" ", "bad_signature"),
        (clue_headers(body, OCEAN_SECRET, int(now) - 301), body, "stale_timestamp"),
        (clue_headers(body, OCEAN_SECRET, int(now) + 301), body, "stale_timestamp"),
        ({"X-Timestamp": headers["X-Timestamp"]}, body, "missing_field"),
    ]
    for given, signed_body, code in checks:
        refused = push_signature(OCEAN, given, signed_body, now, 300)
        assert isinstance(refused, Rejection) and refused.code == code


def test_shipped_profiles_read_each_platforms_field_names() -> None:
    ocean = {
        "clue_id": "7001",
        "telephone": "13800138000",
        "weixin": "wx_li",
        "ad_id": 16,
        "campaign_id": 15,
        "cid": 17,
        "create_time": "2024-05-01 16:00:00",
        "clue_source": "飞鱼",
        "name": "李雷",
    }
    tencent = {
        "leads_id": 9001,
        "leads_tel": "+86 138-0013-8000",
        "adgroup_id": "26",
        "campaign_id": "25",
        "leads_create_time": 1714550400,
    }
    a = push_draft(OCEAN, ocean, NOW, SECRET)
    b = push_draft(TENCENT, tencent, NOW, SECRET)
    assert not isinstance(a, Rejection) and not isinstance(b, Rejection)
    assert a.properties == {
        "platform": "oceanengine",
        "lead_id": "7001",
        "ad_id": "16",
        "campaign_id": "15",
        "creative_id": "17",
    }
    assert a.occurred_at == b.occurred_at == NOW  # 16:00 in Shanghai is 08:00 UTC
    assert a.context == {"source": "飞鱼", "wechat_id_hash": keyed_hash(SECRET, "wx_li")}
    assert b.identities["ad_lead_id"] == "tencent:9001" and b.properties["ad_id"] == "26"
    assert a.contact == {"name": "李雷"} and b.contact == {}  # the name goes sealed, not in context


def test_a_profile_can_override_field_paths() -> None:
    custom = AdPushProfile(
        platform="oceanengine", secret=OCEAN_SECRET, fields={"clue_id": "data.id"}
    )
    draft = push_draft(custom, {"data": {"id": "x1"}, "telephone": "13800138000"}, NOW, SECRET)
    assert not isinstance(draft, Rejection) and draft.properties["lead_id"] == "x1"
    refused = push_draft(custom, {"data": {}}, NOW, SECRET)
    assert isinstance(refused, Rejection) and refused.pointer == "/data/id"


def test_clue_with_an_unreadable_create_time_names_the_field() -> None:
    refused = push_draft(OCEAN, {"clue_id": "1", "create_time": "next week"}, NOW, SECRET)
    assert isinstance(refused, Rejection) and refused.pointer == "/create_time"


def test_the_same_phone_from_google_and_ocean_engine_meets_as_one_lead() -> None:
    google = finish(google_draft(google_lead(), NOW), Channel.ADS, STAMP)  # type: ignore[arg-type]
    ocean = push_draft(OCEAN, {"clue_id": "1", "telephone": "+86 13800138000"}, NOW, SECRET)
    clue = finish(ocean, Channel.ADS, STAMP)  # type: ignore[arg-type]
    expected = keyed_hash(SECRET, "+8613800138000")
    assert google.identities.phone_hash == clue.identities.phone_hash == expected  # type: ignore[union-attr]
    assert clue.identities.strongest() == f"phone:{expected}"  # type: ignore[union-attr]


def test_a_lead_whose_phone_is_junk_is_kept_without_it() -> None:
    draft = push_draft(OCEAN, {"clue_id": "1", "telephone": "n/a"}, NOW, SECRET)
    event = finish(draft, Channel.ADS, STAMP)  # type: ignore[arg-type]
    assert not isinstance(event, Rejection)
    assert event.identities.phone_hash is None and event.context["invalid_pii"] == ["phone"]

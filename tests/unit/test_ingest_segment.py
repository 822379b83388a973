"""Segment calls map onto our envelope: event-name table, identities, time, PII, precise errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.events import Event
from services.ingest import examples
from services.ingest.envelope import Stamp
from services.ingest.rejections import Rejection
from services.ingest.routes import _segment_convert
from services.ingest.segment import SegmentMapper, event_name_key
from services.pii import PiiHasher, keyed_hash
from services.settings import SEGMENT_EVENT_TYPES, WriteKey

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
STAMP = Stamp(NOW, "web", PiiHasher("k", "CN"))
WEB = WriteKey(name="web", sha256="0" * 64, channels=["website", "wechat"])
MAPPER = SegmentMapper.from_table(SEGMENT_EVENT_TYPES)


def call(call_type: str | None, body: dict[str, Any]) -> Event | Rejection:
    return _segment_convert(MAPPER, call_type)(body, STAMP, WEB)


def event(call_type: str | None, body: dict[str, Any]) -> Event:
    result = call(call_type, body)
    assert not isinstance(result, Rejection), result
    return result


def rejection(call_type: str | None, body: dict[str, Any]) -> Rejection:
    result = call(call_type, body)
    assert isinstance(result, Rejection), result
    return result


def test_mapped_track_name_becomes_our_type_with_typed_properties() -> None:
    got = event("track", examples.SEGMENT_TRACK)
    assert got.type == "form_submitted"
    assert got.properties.model_dump(exclude_none=True) == {
        "form_id": "contact-sales",
        "form_name": "Contact sales",
    }
    assert got.event_id == examples.SEGMENT_TRACK["messageId"] and got.campaign == "spring-expo"


@pytest.mark.parametrize(
    ("name", "properties", "field"),
    [
        ("Form Submitted", {}, "form_id"),
        ("Form Submitted", {"form_name": "Contact us"}, "form_id"),
        ("Video Watched", {"percent": 80}, "video_id"),
        ("Asset Downloaded", {"kind": "whitepaper"}, "asset_id"),
    ],
)
def test_a_plain_segment_call_without_our_ids_is_accepted_as_unknown(
    name: str, properties: dict[str, object], field: str
) -> None:
    got = event("track", {"userId": "u", "event": name, "properties": properties})
    assert getattr(got.properties, field) == "unknown"


def test_segment_form_aliases_name_the_form() -> None:
    got = event("track", {"userId": "u", "event": "Form Submitted", "properties": {"formId": "f1"}})
    assert got.properties.form_id == "f1"


@pytest.mark.parametrize("name", ["Form Submitted", "form_submitted", "FORM-SUBMITTED"])
def test_event_names_match_whatever_the_case_and_separators(name: str) -> None:
    assert event("track", {"userId": "u", "event": name, "properties": {"form_id": "f"}}).type == (
        "form_submitted"
    )


def test_unmapped_track_name_becomes_custom_with_free_properties() -> None:
    got = event("track", {"userId": "u", "event": "Whitepaper Shared", "properties": {"n": 2}})
    assert got.type == "custom"
    assert got.properties.model_dump() == {"name": "Whitepaper Shared", "n": 2}


def test_the_mapping_table_is_configurable() -> None:
    mapper = SegmentMapper.from_table({"Booked Meeting": "demo_requested"})
    result = _segment_convert(mapper, "track")(
        {"userId": "u", "event": "booked meeting"}, STAMP, WEB
    )
    assert not isinstance(result, Rejection) and result.type == "demo_requested"


def test_a_table_naming_an_unknown_type_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="demo_booked"):
        SegmentMapper.from_table({"Booked": "demo_booked"})


def test_segment_property_names_are_translated_and_extras_kept_in_context() -> None:
    got = event(
        "track",
        {
            "userId": "u",
            "event": "Video Watched",
            "properties": {"video_id": "v", "position": 30, "quality": "hd"},
        },
    )
    assert got.properties.model_dump(exclude_none=True)["seconds"] == 30
    assert got.context["extra_properties"] == {"quality": "hd"}


def test_page_call_becomes_page_viewed_with_url_from_context_page() -> None:
    got = event(
        "page",
        {"anonymousId": "a", "name": "Pricing", "context": {"page": {"url": "https://x.cn/p"}}},
    )
    assert got.type == "page_viewed"
    assert (got.properties.url, got.properties.title) == ("https://x.cn/p", "Pricing")  # type: ignore[union-attr]


def test_identify_traits_email_and_phone_become_hashes_and_leave_the_traits() -> None:
    got = event("identify", examples.SEGMENT_IDENTIFY)
    assert got.identities.email_hash == keyed_hash("k", "li.wei@example.cn")
    assert got.identities.phone_hash == keyed_hash("k", "+8613800138000")
    assert got.properties.model_dump() == {"traits": {}}  # the company is a contact detail


def test_identify_contact_details_are_held_for_the_vault_not_published() -> None:
    stamp = Stamp(NOW, "web", PiiHasher("k", "CN"))
    got = _segment_convert(MAPPER, "identify")(examples.SEGMENT_IDENTIFY, stamp, WEB)
    assert not isinstance(got, Rejection)
    held = stamp.contacts[got.event_id]
    assert (held.company, held.email, held.phone) == ("ACME", "li.wei@example.cn", "+8613800138000")
    assert "ACME" not in got.model_dump_json()


def test_a_form_submitted_track_call_takes_its_answers_as_contact_details() -> None:
    stamp = Stamp(NOW, "web", PiiHasher("k", "CN"))
    body = {"userId": "u", "event": "Form Submitted", "properties": {"formId": "trial"}}
    body["properties"] |= {"name": "Zhou Min", "company": "Kite", "title": "COO", "keep": 1}
    got = _segment_convert(MAPPER, "track")(body, stamp, WEB)
    assert not isinstance(got, Rejection)
    assert stamp.contacts[got.event_id].model_dump(exclude_none=True) == {
        "name": "Zhou Min",
        "company": "Kite",
        "job_title": "COO",
    }
    assert got.context["extra_properties"] == {"keep": 1}


def test_alias_links_previous_id_and_user_id_in_one_identify_event() -> None:
    got = event("alias", examples.SEGMENT_ALIAS)
    assert got.type == "identify"
    assert (got.identities.user_id, got.identities.anonymous_id) == ("u-1024", "anon-7f3a")


def test_group_keeps_group_traits_but_not_their_email_as_the_persons() -> None:
    got = event("group", {"userId": "u", "groupId": "acme", "traits": {"email": "info@acme.cn"}})
    assert got.identities.email_hash is None
    assert got.properties.model_dump() == {"traits": {"group_id": "acme", "group_traits": {}}}


def test_raw_pii_never_survives_in_properties_or_context() -> None:
    body = {
        "userId": "u",
        "event": "Anything",
        "properties": {"email": "a@b.cn", "phone": "13800138000", "keep": 1},
        "context": {"traits": {"email": "a@b.cn", "name": "Li"}},
    }
    got = event("track", body)
    text = got.model_dump_json()
    assert "a@b.cn" not in text and "13800138000" not in text and "Li" not in text
    assert got.identities.phone_hash == keyed_hash("k", "+8613800138000")


def test_numeric_user_ids_are_accepted_as_text() -> None:
    assert event("track", {"userId": 42, "event": "x"}).identities.user_id == "42"


def test_timestamp_is_skew_corrected_with_sent_at() -> None:
    body = {
        "userId": "u",
        "event": "x",
        "timestamp": "2026-11-27T09:00:00Z",
        "sentAt": "2026-11-27T09:00:10Z",
    }
    assert event("track", body).occurred_at == NOW - timedelta(seconds=10)


def test_missing_timestamp_means_received_now() -> None:
    assert event("track", {"userId": "u", "event": "x"}).occurred_at == NOW


def test_channel_defaults_to_the_keys_first_channel_and_segment_channels_are_ignored() -> None:
    assert event("track", {"userId": "u", "event": "x", "channel": "server"}).channel == "website"
    assert event("track", {"userId": "u", "event": "x", "channel": "wechat"}).channel == "wechat"


@pytest.mark.parametrize(
    ("body", "code", "where"),
    [
        ({"event": "x"}, "missing_identity", "/userId"),
        ({"userId": "u"}, "missing_field", "/event"),
        ({"userId": ["u"], "event": "x"}, "invalid_value", "/userId"),
        (
            {"userId": "u", "event": "x", "timestamp": "yesterday"},
            "invalid_timestamp",
            "/timestamp",
        ),
        (
            {"userId": "u", "event": "x", "timestamp": "1970-01-01T00:00:00Z"},
            "invalid_timestamp",
            "/timestamp",
        ),
        ({"userId": "u", "event": "x", "channel": "tv"}, "unknown_channel", "/channel"),
        ({"userId": "u", "event": "x", "properties": []}, "invalid_value", "/properties"),
        (
            {"userId": "u", "event": "Form Submitted", "properties": {"form_id": "f" * 201}},
            "invalid_value",
            "/properties/form_id",
        ),
        (
            {"userId": "u", "event": "x", "context": {"traits": {"Email": "bad"}}},
            "invalid_value",
            "/context/traits/Email",
        ),
        ({"userId": "u", "event": "x", "messageId": "m" * 129}, "invalid_value", "/messageId"),
    ],
)
def test_invalid_calls_are_rejected_naming_the_field(
    body: dict[str, Any], code: str, where: str
) -> None:
    got = rejection("track", body)
    assert (got.code, got.pointer, got.status) == (code, where, 400)
    assert got.message.startswith(where)


def test_batch_items_need_a_known_call_type() -> None:
    got = rejection(None, {"type": "launch", "userId": "u"})
    assert (got.code, got.pointer) == ("unknown_type", "/type")


def test_event_name_key_normalises_separators() -> None:
    assert event_name_key("  Email_Link-Clicked ") == "email link clicked"

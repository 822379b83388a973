"""Native envelopes and CRM records validate precisely, hash PII and check the stage list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.events import Event
from services.ingest import examples
from services.ingest.crm import CommunicationIn, StageChangeIn, crm_event
from services.ingest.envelope import Stamp
from services.ingest.native import native_event
from services.ingest.rejections import Rejection
from services.pii import PiiHasher, keyed_hash
from services.settings import SALES_STAGES

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
STAMP = Stamp(NOW, "api", PiiHasher("k", "CN"))


def native(**changes: Any) -> Event | Rejection:
    return native_event({**examples.NATIVE_PAGE_VIEWED, **changes}, STAMP)


def stage_change(**changes: Any) -> Event | Rejection:
    return crm_event({**examples.CRM_STAGE_CHANGE, **changes}, StageChangeIn, STAMP, SALES_STAGES)


def test_native_event_gets_server_fields_and_hashed_email() -> None:
    got = native()
    assert not isinstance(got, Rejection)
    assert (got.received_at, got.source, got.schema_version) == (NOW, "api", 1)
    assert got.identities.email_hash == keyed_hash("k", "li.wei@example.cn")
    assert got.event_id == "web-9c1d2e"


def test_native_event_without_id_gets_a_generated_one() -> None:
    body = {k: v for k, v in examples.NATIVE_WECHAT_QR.items() if k != "event_id"}
    got = native_event(body, STAMP)
    assert not isinstance(got, Rejection) and len(got.event_id) == 32


@pytest.mark.parametrize(
    ("changes", "code", "where"),
    [
        ({"type": "page_seen"}, "unknown_type", "/type"),
        ({"channel": "tiktok"}, "invalid_value", "/channel"),
        ({"identities": {}}, "missing_identity", "/identities"),
        ({"identities": {"email": "not-an-email"}}, "invalid_value", "/identities/email"),
        ({"identities": {"phone": "12"}}, "invalid_value", "/identities/phone"),
        ({"identities": {"email_hash": "0" * 64}}, "unknown_field", "/identities/email_hash"),
        ({"occurred_at": "2026-11-27T09:00:00"}, "invalid_timestamp", "/occurred_at"),
        ({"occurred_at": "soon"}, "invalid_timestamp", "/occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "invalid_timestamp", "/occurred_at"),
        ({"properties": {"url": 5}}, "invalid_value", "/properties/url"),
        (
            {"properties": {"dwell_seconds": -1, "url": "u"}},
            "invalid_value",
            "/properties/dwell_seconds",
        ),
        ({"properties": {}}, "missing_field", "/properties/url"),
        ({"received_at": "2026-11-27T09:00:00Z"}, "unknown_field", "/received_at"),
        ({"schema_version": 3}, "invalid_value", "/schema_version"),
    ],
)
def test_invalid_native_events_are_rejected_naming_the_field(
    changes: dict[str, Any], code: str, where: str
) -> None:
    got = native(**changes)
    assert isinstance(got, Rejection)
    assert (got.code, got.pointer) == (code, where)


def test_a_non_object_event_is_rejected_at_the_root() -> None:
    got = native_event([1, 2], STAMP)
    assert isinstance(got, Rejection) and got.pointer == ""


def test_native_identify_traits_give_up_their_email_to_the_hashed_identity() -> None:
    body = {
        "type": "identify",
        "channel": "website",
        "identities": {"user_id": "u"},
        "properties": {"traits": {"email": "A@B.cn", "plan": "pro"}},
    }
    got = native_event(body, STAMP)
    assert not isinstance(got, Rejection)
    assert got.identities.email_hash == keyed_hash("k", "a@b.cn")
    assert got.properties.model_dump() == {"traits": {"plan": "pro"}}


def test_crm_stage_change_is_published_on_the_crm_channel_keyed_by_lead() -> None:
    got = stage_change()
    assert not isinstance(got, Rejection)
    assert (got.type, got.channel, got.identities.strongest()) == (
        "sales_stage_changed",
        "crm",
        "crm:L-2001",
    )
    assert got.properties.stage == "demo" and got.properties.amount == 180000  # type: ignore[union-attr]


@pytest.mark.parametrize("field", ["stage", "previous_stage"])
def test_unknown_stages_are_rejected_listing_the_configured_ones(field: str) -> None:
    got = stage_change(**{field: "closing"})
    assert isinstance(got, Rejection)
    assert (got.code, got.pointer) == ("unknown_stage", f"/{field}")
    assert "quote_negotiation" in got.message


def test_the_stage_list_is_configurable() -> None:
    got = crm_event(examples.CRM_STAGE_CHANGE, StageChangeIn, STAMP, ("demo",))
    assert isinstance(got, Rejection) and got.pointer == "/previous_stage"


def test_crm_record_without_any_lead_identity_is_rejected() -> None:
    got = stage_change(crm_lead_id=None)
    assert isinstance(got, Rejection) and got.code == "missing_identity"


def test_communication_keeps_its_effectiveness_flags() -> None:
    got = crm_event(examples.CRM_COMMUNICATION, CommunicationIn, STAMP, SALES_STAGES)
    assert not isinstance(got, Rejection)
    assert got.properties.is_effective  # type: ignore[union-attr]


def test_communication_with_a_wrongly_typed_flag_names_the_flag() -> None:
    body = {**examples.CRM_COMMUNICATION, "need_identified": "maybe"}
    got = crm_event(body, CommunicationIn, STAMP, SALES_STAGES)
    assert isinstance(got, Rejection) and got.pointer == "/need_identified"

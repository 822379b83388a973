"""Ingest holds each event's contact details for the vault and publishes none of them in clear."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.events import Event
from services.ingest.crm import StageChangeIn, crm_event
from services.ingest.envelope import Stamp
from services.ingest.native import native_event
from services.ingest.rejections import Rejection
from services.pii import PiiHasher
from services.settings import SALES_STAGES

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _stamp() -> Stamp:
    return Stamp(NOW, "api", PiiHasher("k", "CN"))


def _accepted(result: Event | Rejection) -> Event:
    assert not isinstance(result, Rejection), result
    return result


def test_a_native_lead_form_holds_identities_and_contact_fields_for_sealing() -> None:
    stamp = _stamp()
    body = {
        "type": "form_submitted",
        "channel": "website",
        "identities": {"email": "Zhou.Min@Kite.CN", "phone": "138 0013 8000"},
        "contact": {"name": "周敏", "company": "Kite Robotics", "job_title": "COO", "city": "杭州"},
        "properties": {"form_id": "trial"},
    }
    event = _accepted(native_event(body, stamp))
    held = stamp.contacts[event.event_id]
    assert held.model_dump() == {
        "name": "周敏",
        "email": "zhou.min@kite.cn",
        "phone": "+8613800138000",
        "company": "Kite Robotics",
        "job_title": "COO",
        "city": "杭州",
    }
    text = event.model_dump_json()
    assert all(value not in text for value in ("周敏", "Kite", "COO", "杭州", "zhou", "138"))


def test_identify_traits_lose_their_contact_keys_and_keep_the_rest() -> None:
    stamp = _stamp()
    traits = {"name": "Li Wei", "company": "ACME", "title": "CTO", "plan": "pro"}
    body = {"type": "identify", "channel": "api", "identities": {"user_id": "u-1"}}
    event = _accepted(native_event({**body, "properties": {"traits": traits}}, stamp))
    assert event.properties.model_dump() == {"traits": {"plan": "pro"}}
    assert stamp.contacts[event.event_id].name == "Li Wei"


def test_an_event_without_contact_details_holds_nothing() -> None:
    stamp = _stamp()
    body = {"type": "page_viewed", "channel": "website", "identities": {"anonymous_id": "a-1"}}
    _accepted(native_event({**body, "properties": {"url": "https://x.cn/"}}, stamp))
    assert stamp.contacts == {}


def test_a_crm_record_may_carry_contact_details_beside_its_identities() -> None:
    stamp = _stamp()
    record = {"opportunity_id": "o-1", "stage": "first_contact", "crm_lead_id": "C-9"}
    record["contact"] = {"name": "Chen Jing", "company": "Delta"}
    event = _accepted(crm_event(record, StageChangeIn, stamp, SALES_STAGES))
    assert stamp.contacts[event.event_id].company == "Delta"
    assert "Delta" not in event.model_dump_json()

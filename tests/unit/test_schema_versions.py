"""Schema versions 1 and 2 of the ingest contract: both accepted, version 2's checks by field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from funnel.model.stages import WON
from schemas.events import (
    WON_STAGE,
    CommunicationLoggedEvent,
    CommunicationLoggedV1Event,
    CommunicationLoggedV2Event,
    FeedbackGivenEvent,
    SalesStageChangedEvent,
    SalesStageChangedV2Event,
    event_json,
    parse_event,
)
from services.ingest import examples
from services.ingest.crm import CommunicationIn, StageChangeIn, crm_event
from services.ingest.envelope import Stamp
from services.ingest.native import native_event
from services.ingest.publisher import headers
from services.ingest.rejections import Rejection
from services.pii import PiiHasher
from services.settings import SALES_STAGES

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
STAMP = Stamp(NOW, "api", PiiHasher("k", "CN"))
ENVELOPE: dict[str, Any] = {
    "event_id": "e-1",
    "channel": "crm",
    "occurred_at": "2026-11-27T09:00:00Z",
    "received_at": "2026-11-27T09:00:01Z",
    "source": "tests",
    "identities": {"crm_lead_id": "L-1"},
}


def stage_change(**changes: Any) -> Any:
    return crm_event({**examples.CRM_STAGE_CHANGE, **changes}, StageChangeIn, STAMP, SALES_STAGES)


def communication(**changes: Any) -> Any:
    return crm_event(
        {**examples.CRM_COMMUNICATION, **changes}, CommunicationIn, STAMP, SALES_STAGES
    )


def native_communication(version: int | None, **properties: Any) -> Any:
    body: dict[str, Any] = {
        "type": "communication_logged",
        "channel": "crm",
        "identities": {"crm_lead_id": "L-1"},
        "properties": {"communication_id": "c-1", **properties},
    }
    if version is not None:
        body["schema_version"] = version
    return native_event(body, STAMP)


def test_the_won_stage_of_the_contract_is_the_funnels() -> None:
    assert WON_STAGE == WON


def test_a_version_1_stage_change_without_owner_or_amount_still_parses() -> None:
    event = parse_event(
        {
            **ENVELOPE,
            "type": "sales_stage_changed",
            "schema_version": 1,
            "properties": {"opportunity_id": "o-1", "stage": "won"},
        }
    )
    assert isinstance(event, SalesStageChangedEvent) and event.schema_version == 1
    assert event.properties.owner is None and event.properties.amount is None


def test_an_envelope_naming_no_version_is_version_1() -> None:
    data = {**ENVELOPE, "type": "communication_logged", "properties": {"communication_id": "c"}}
    event = parse_event(data)
    assert isinstance(event, CommunicationLoggedV1Event) and event.schema_version == 1


def test_a_version_2_communication_parses_with_owner_and_minutes() -> None:
    event = parse_event(
        {
            **ENVELOPE,
            "type": "communication_logged",
            "schema_version": 2,
            "properties": {"communication_id": "c-1", "owner": "li", "minutes_uploaded": True},
        }
    )
    assert isinstance(event, CommunicationLoggedV2Event)
    assert isinstance(event, CommunicationLoggedEvent)  # consumers match on the common model
    assert (event.properties.owner, event.properties.minutes_uploaded) == ("li", True)
    assert parse_event(event_json(event)) == event


def test_a_consumer_refuses_a_version_2_stage_change_without_owner() -> None:
    data = {
        **ENVELOPE,
        "type": "sales_stage_changed",
        "schema_version": 2,
        "properties": {"opportunity_id": "o-1", "stage": "demo"},
    }
    with pytest.raises(ValidationError) as raised:
        parse_event(data)
    assert raised.value.errors()[0]["loc"][-2:] == ("properties", "owner")


def test_an_unknown_version_is_refused_naming_both_known_ones() -> None:
    got = native_communication(3, owner="li")
    assert isinstance(got, Rejection)
    assert (got.code, got.pointer) == ("invalid_value", "/schema_version")
    assert "1 or 2" in got.message


def test_native_version_2_communication_without_owner_names_the_field() -> None:
    got = native_communication(2)
    assert isinstance(got, Rejection)
    assert (got.status, got.code, got.pointer) == (400, "missing_field", "/properties/owner")


def test_native_version_1_communication_without_owner_is_accepted() -> None:
    for version in (1, None):
        got = native_communication(version)
        assert isinstance(got, CommunicationLoggedV1Event), got


def test_crm_version_2_without_owner_points_at_the_flat_field() -> None:
    for example, kind in (
        (examples.CRM_STAGE_CHANGE, StageChangeIn),
        (examples.CRM_COMMUNICATION, CommunicationIn),
    ):
        body = {key: value for key, value in example.items() if key != "owner"}
        got = crm_event(body, kind, STAMP, SALES_STAGES)
        assert isinstance(got, Rejection)
        assert (got.code, got.pointer) == ("missing_field", "/owner")
    explicit_null = communication(owner=None)
    assert isinstance(explicit_null, Rejection)
    assert (explicit_null.code, explicit_null.pointer) == ("invalid_value", "/owner")


@pytest.mark.parametrize("field", ["amount", "currency"])
def test_crm_version_2_won_without_amount_or_currency_is_refused(field: str) -> None:
    got = stage_change(stage="won", **{field: None})
    assert isinstance(got, Rejection)
    assert (got.status, got.code, got.pointer) == (400, "missing_field", f"/{field}")
    assert "won" in got.message


def test_crm_version_2_won_with_amount_and_currency_is_published_as_version_2() -> None:
    got = crm_event(examples.CRM_WON, StageChangeIn, STAMP, SALES_STAGES)
    assert isinstance(got, SalesStageChangedV2Event)
    assert (got.properties.amount, got.properties.currency) == (176000, "CNY")
    assert dict(headers(got))["schema_version"] == b"2"


def test_crm_version_1_won_without_amount_is_still_accepted() -> None:
    got = crm_event(
        {**examples.CRM_STAGE_CHANGE_V1, "stage": "won"}, StageChangeIn, STAMP, SALES_STAGES
    )
    assert isinstance(got, SalesStageChangedEvent) and got.schema_version == 1
    assert dict(headers(got))["schema_version"] == b"1"


def test_an_open_stage_in_version_2_needs_no_amount() -> None:
    got = stage_change(amount=None, currency=None)
    assert isinstance(got, SalesStageChangedV2Event)


def test_feedback_is_accepted_and_its_score_bounded() -> None:
    got = native_event(examples.NATIVE_FEEDBACK, STAMP)
    assert isinstance(got, FeedbackGivenEvent) and got.properties.score == 4
    too_high = {**examples.NATIVE_FEEDBACK, "properties": {"score": 11}}
    refused = native_event(too_high, STAMP)
    assert isinstance(refused, Rejection) and refused.pointer == "/properties/score"
    v1 = native_event({**examples.NATIVE_FEEDBACK, "schema_version": 1}, STAMP)
    assert isinstance(v1, FeedbackGivenEvent) and v1.schema_version == 1


def test_crm_version_2_records_carry_evidence_an_approver_and_a_next_step_due() -> None:
    got = stage_change(stage="demo", evidence=["needs_document"], approved_by="boss")
    assert isinstance(got, SalesStageChangedV2Event)
    assert (got.properties.evidence, got.properties.approved_by) == (["needs_document"], "boss")
    talk = crm_event(
        {**examples.CRM_COMMUNICATION, "next_step_due": "2026-03-17"},
        CommunicationIn,
        STAMP,
        SALES_STAGES,
    )
    assert str(getattr(talk, "properties", None) and talk.properties.next_step_due) == "2026-03-17"


def test_crm_version_1_records_cannot_carry_evidence() -> None:
    body = {**examples.CRM_STAGE_CHANGE_V1, "evidence": ["needs_document"]}
    got = crm_event(body, StageChangeIn, STAMP, SALES_STAGES)
    assert isinstance(got, Rejection) and got.pointer == "/evidence"

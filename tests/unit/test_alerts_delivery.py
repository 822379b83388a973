"""Webhook messages: HMAC-SHA256 signatures over `timestamp.body`, and the WeCom robot format."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import orjson

from alerts.model.delivery import (
    ALERT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WECOM_MAX_BYTES,
    build_request,
    is_valid_signature,
    sign,
    wecom_accepted,
    wecom_payload,
)
from schemas.outgoing import Alert, AlertKind

AT = datetime(2024, 3, 8, tzinfo=UTC)


def stale_alert(message: str = "Lead lead-1 (mql) had no interaction for over 7 days") -> Alert:
    return Alert(
        alert_id="lead_stale:lead-1:2024-03-01T00:00:00+00:00",
        kind=AlertKind.LEAD_STALE,
        subject="lead-1",
        owner="wang",
        message=message,
        details={"allowed_idle_days": 7.0},
        occurred_at=AT,
    )


def test_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex() -> None:
    body = b'{"alert_id":"x"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", 1700000000, body) == f"sha256={expected}"


def test_a_known_vector_signs_the_same_on_every_machine() -> None:
    assert sign("key", 1, b"{}") == (
        "sha256=" + hmac.new(b"key", b"1.{}", hashlib.sha256).hexdigest()
    )
    assert sign("key", 1, b"{}") != sign("key", 2, b"{}")


def test_json_webhook_posts_the_alert_signed_with_its_timestamp() -> None:
    alert = stale_alert()
    request = build_request("json", "http://hook", "s3cret", alert, 1700000000)
    assert Alert.model_validate_json(request.body) == alert
    assert request.headers[TIMESTAMP_HEADER] == "1700000000"
    assert request.headers[ALERT_ID_HEADER] == alert.alert_id
    signature = request.headers[SIGNATURE_HEADER]
    assert is_valid_signature("s3cret", "1700000000", request.body, signature, now=1700000010)


def test_receiver_rejects_a_tampered_body_a_wrong_secret_or_an_old_timestamp() -> None:
    request = build_request("json", "http://hook", "s3cret", stale_alert(), 1700000000)
    body, signature, ts = request.body, request.headers[SIGNATURE_HEADER], 1700000000
    assert not is_valid_signature("s3cret", str(ts), body + b" ", signature, ts)
    assert not is_valid_signature("other", str(ts), body, signature, ts)
    assert not is_valid_signature("s3cret", str(ts), body, signature, ts + 301)
    assert not is_valid_signature("s3cret", "17e8", body, signature, ts)


def test_json_webhook_without_a_secret_is_sent_unsigned() -> None:
    request = build_request("json", "http://hook", "", stale_alert(), 1700000000)
    assert SIGNATURE_HEADER not in request.headers


def test_wecom_message_is_markdown_with_title_message_subject_and_owner_mention() -> None:
    payload = wecom_payload(stale_alert())
    assert payload["msgtype"] == "markdown"
    assert set(payload) == {"msgtype", "markdown"}
    content = payload["markdown"]["content"]
    assert content.startswith('**<font color="warning">线索超期未跟进 Lead stale</font>**')
    assert "had no interaction for over 7 days" in content
    assert "lead-1" in content and "<@wang>" in content
    assert "lead_stale:lead-1:2024-03-01T00:00:00+00:00" in content


def test_wecom_request_body_is_the_robot_json_and_carries_no_signature() -> None:
    request = build_request("wecom", "http://robot?key=k", "ignored", stale_alert(), 1)
    assert orjson.loads(request.body) == wecom_payload(stale_alert())
    assert SIGNATURE_HEADER not in request.headers
    assert request.url == "http://robot?key=k"


def test_wecom_content_is_cut_to_the_robot_limit() -> None:
    content = wecom_payload(stale_alert("长" * 5000))["markdown"]["content"]
    assert len(content.encode()) <= WECOM_MAX_BYTES
    assert content.endswith("…")


def test_wecom_success_needs_http_200_and_errcode_zero() -> None:
    assert wecom_accepted(200, b'{"errcode":0,"errmsg":"ok"}')
    assert not wecom_accepted(200, b'{"errcode":93000,"errmsg":"invalid webhook url"}')
    assert not wecom_accepted(500, b'{"errcode":0}')
    assert not wecom_accepted(200, b"<html>")

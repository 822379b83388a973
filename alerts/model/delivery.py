"""Webhook messages: the signed generic JSON request and the WeCom group-robot markdown."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import BaseModel, Field

from schemas.outgoing import Alert, AlertKind

TIMESTAMP_HEADER = "X-Leadfunnel-Timestamp"
SIGNATURE_HEADER = "X-Leadfunnel-Signature"
ALERT_ID_HEADER = "X-Leadfunnel-Alert-Id"
SIGNATURE_PREFIX = "sha256="
WECOM_MAX_BYTES = 4096  # the group robot rejects longer markdown content
TITLES = {
    AlertKind.LEAD_STALE: "线索超期未跟进 Lead stale",
    AlertKind.LEAD_REACTIVATED: "线索恢复互动 Lead reactivated",
    AlertKind.HEALTH_CHECK_FAILED: "销售健康度告警 Health check failed",
    AlertKind.OWNER_NOT_ADVANCING: "高活跃无推进 Busy but not advancing",
}
COLOURS = {"critical": "warning", "warning": "warning", "info": "info"}  # WeCom font colours


class AlertWebhook(BaseModel):
    """A webhook alerts are delivered to: signed generic JSON, or a WeCom group robot."""

    name: str = Field(pattern=r"^[a-z0-9_-]{1,40}$", description="metric label and log name")
    url: str
    format: Literal["json", "wecom"] = "json"
    secret: str = Field(default="", repr=False, description="HMAC-SHA256 key (json format)")
    kinds: list[AlertKind] = Field(default_factory=list, description="empty: every kind")


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """One HTTP POST to make: where, with which headers and body."""

    url: str
    headers: dict[str, str]
    body: bytes


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 over `<timestamp>.<body>` with the webhook's secret."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def is_valid_signature(
    secret: str, timestamp: str, body: bytes, signature: str, now: int, tolerance: int = 300
) -> bool:
    """Receiver side: the signature matches and the timestamp is recent (replay protection)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def json_request(url: str, secret: str, alert: Alert, timestamp: int) -> WebhookRequest:
    """The generic webhook: the Alert as JSON, signed when a secret is configured."""
    body = alert.model_dump_json().encode()
    headers = {
        "Content-Type": "application/json",
        ALERT_ID_HEADER: alert.alert_id,
        TIMESTAMP_HEADER: str(timestamp),
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    return WebhookRequest(url, headers, body)


def wecom_markdown(alert: Alert) -> str:
    """The alert as WeCom markdown: a coloured title, the message, then the key facts."""
    colour = COLOURS[alert.severity]
    lines = [
        f'**<font color="{colour}">{TITLES.get(alert.kind, alert.kind)}</font>**',
        alert.message,
        f"> 对象 subject: {alert.subject}",
    ]
    if alert.owner:
        lines.append(f"> 负责人 owner: <@{alert.owner}> {alert.owner}")
    lines.append(f"> 时间 at: {alert.occurred_at.isoformat()}")
    lines.append(f'> <font color="comment">{alert.alert_id}</font>')
    content = "\n".join(lines)
    while len(content.encode()) > WECOM_MAX_BYTES:
        content = content[: len(content) - 64] + "…"
    return content


def wecom_payload(alert: Alert) -> dict[str, Any]:
    """The group-robot message: `{"msgtype": "markdown", "markdown": {"content": …}}`."""
    return {"msgtype": "markdown", "markdown": {"content": wecom_markdown(alert)}}


def wecom_request(url: str, alert: Alert) -> WebhookRequest:
    """A POST to a WeCom group robot (its URL carries the robot key)."""
    headers = {"Content-Type": "application/json", ALERT_ID_HEADER: alert.alert_id}
    return WebhookRequest(url, headers, orjson.dumps(wecom_payload(alert)))


def build_request(
    fmt: Literal["json", "wecom"], url: str, secret: str, alert: Alert, timestamp: int
) -> WebhookRequest:
    """The request for a webhook of the given format."""
    if fmt == "wecom":
        return wecom_request(url, alert)
    return json_request(url, secret, alert, timestamp)


def wecom_accepted(status: int, body: bytes) -> bool:
    """WeCom answers HTTP 200 with `errcode` 0 on success; anything else is a failure."""
    if status != 200:
        return False
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(answer, dict) and answer.get("errcode", 0) == 0

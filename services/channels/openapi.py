"""OpenAPI descriptions of the channel routes (they read their own bodies, to check signatures)."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from services.channels.ads.google import GoogleLead
from services.channels.ads.meta import Notification
from services.ingest.openapi_docs import request_body


class Beacon(BaseModel):
    """What collector.js posts (as text/plain JSON): shared fields, then the events."""

    writeKey: str = Field(min_length=1)
    anonymousId: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    sentAt: AwareDatetime | None = None
    context: dict[str, Any] = {}
    events: list[dict[str, Any]] = Field(
        description="type (page_viewed, form_submitted, asset_downloaded, video_watched, "
        "demo_requested, identify), messageId, timestamp, properties or traits"
    )


def _query(name: str, pattern: str, required: bool = True) -> dict[str, Any]:
    schema = {"type": "string", "pattern": pattern}
    return {"name": name, "in": "query", "required": required, "schema": schema}


_SIGNED = [_query("timestamp", r"^\d{1,11}$"), _query("nonce", r"^\S{1,64}$")]
WECHAT_CHECK = {
    "parameters": [_query("signature", "^[0-9a-f]{40}$"), *_SIGNED, _query("echostr", r"^\S+$")]
}
WECHAT_PUSH = {
    "parameters": [
        _query("signature", "^[0-9a-f]{40}$"),
        *_SIGNED,
        _query("encrypt_type", "^(raw|aes)$", required=False),
        _query("msg_signature", "^[0-9a-f]{40}$", required=False),
    ],
}
META_CHECK = {
    "parameters": [
        _query("hub.mode", "^subscribe$"),
        _query("hub.verify_token", r"^\S+$"),
        _query("hub.challenge", r"^\S+$"),
    ]
}
GOOGLE_LEAD = request_body(
    GoogleLead,
    {"lead": {"lead_id": "TeSter-123", "google_key": "…", "campaign_id": 1, "is_test": True}},
)
META_LEADS = request_body(
    Notification,
    {
        "leadgen": {
            "object": "page",
            "entry": [{"changes": [{"field": "leadgen", "value": {"leadgen_id": "1"}}]}],
        }
    },
)
CLUES = request_body(
    dict[str, Any] | list[dict[str, Any]],
    {"Ocean Engine clue": {"clue_id": "7001", "telephone": "13800138000", "ad_id": 16}},
)
BEACON = request_body(
    Beacon,
    {
        "page view": {
            "writeKey": "wk_dev_leadfunnel",
            "anonymousId": "a1b2c3d4e5f6a7b8",
            "events": [
                {
                    "type": "page_viewed",
                    "messageId": "m0000001",
                    "properties": {"url": "https://www.example.cn/pricing", "dwell_seconds": 42},
                }
            ],
        }
    },
)

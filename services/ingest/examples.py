"""Request examples shown at /docs (and used by the tests as known-good bodies)."""

from __future__ import annotations

from typing import Any

SEGMENT_TRACK: dict[str, Any] = {
    "messageId": "3f6a1c1e-6a43-4a5e-9d1e-2b4d8a9c0f11",
    "anonymousId": "anon-7f3a",
    "userId": "u-1024",
    "event": "Form Submitted",
    "properties": {"form_id": "contact-sales", "form_name": "Contact sales"},
    "context": {"traits": {"email": "Li.Wei@Example.cn"}, "campaign": {"name": "spring-expo"}},
    "timestamp": "2026-11-27T09:30:00.000Z",
    "sentAt": "2026-11-27T09:30:01.000Z",
}
SEGMENT_PAGE: dict[str, Any] = {
    "anonymousId": "anon-7f3a",
    "name": "Pricing",
    "properties": {"url": "https://example.cn/pricing", "dwell_seconds": 42},
}
SEGMENT_IDENTIFY: dict[str, Any] = {
    "userId": "u-1024",
    "traits": {"email": "li.wei@example.cn", "phone": "138 0013 8000", "company": "ACME"},
}
SEGMENT_ALIAS: dict[str, Any] = {"previousId": "anon-7f3a", "userId": "u-1024"}
SEGMENT_GROUP: dict[str, Any] = {
    "userId": "u-1024",
    "groupId": "acme",
    "traits": {"name": "ACME", "industry": "manufacturing"},
}
SEGMENT_BATCH: dict[str, Any] = {
    "batch": [
        {"type": "page", **SEGMENT_PAGE},
        {"type": "track", **SEGMENT_TRACK},
        {"type": "track", "userId": "u-1024", "event": "Whitepaper Shared"},
    ],
    "sentAt": "2026-11-27T09:30:01.000Z",
}
NATIVE_PAGE_VIEWED: dict[str, Any] = {
    "event_id": "web-9c1d2e",
    "type": "page_viewed",
    "channel": "website",
    "occurred_at": "2026-11-27T09:30:00+08:00",
    "identities": {"anonymous_id": "anon-7f3a", "email": "li.wei@example.cn"},
    "properties": {"url": "https://example.cn/pricing", "dwell_seconds": 42},
}
NATIVE_WECHAT_QR: dict[str, Any] = {
    "type": "wechat_qr_scanned",
    "channel": "wechat",
    "identities": {"wechat_appid": "wx1234", "wechat_openid": "oAbC123"},
    "properties": {"scene": "expo-booth-7"},
}
NATIVE_BATCH: dict[str, Any] = {"events": [NATIVE_PAGE_VIEWED, NATIVE_WECHAT_QR]}
NATIVE_FEEDBACK: dict[str, Any] = {
    "event_id": "nps-2026-11-88",
    "type": "feedback_given",
    "schema_version": 2,
    "channel": "crm",
    "identities": {"crm_lead_id": "L-2001"},
    "properties": {"score": 4, "owner": "zhang.san", "opportunity_id": "OPP-77"},
}
CRM_STAGE_CHANGE: dict[str, Any] = {
    "event_id": "crm-opp-77-3",
    "schema_version": 2,
    "crm_lead_id": "L-2001",
    "opportunity_id": "OPP-77",
    "stage": "demo",
    "previous_stage": "needs_confirmed",
    "amount": 180000,
    "currency": "CNY",
    "owner": "zhang.san",
    "occurred_at": "2026-11-27T10:00:00+08:00",
}
CRM_WON: dict[str, Any] = {
    "event_id": "crm-opp-77-6",
    "schema_version": 2,
    "crm_lead_id": "L-2001",
    "opportunity_id": "OPP-77",
    "stage": "won",
    "previous_stage": "contract_approval",
    "amount": 176000,
    "currency": "CNY",
    "owner": "zhang.san",
}
CRM_STAGE_CHANGE_V1: dict[str, Any] = {
    "event_id": "crm-opp-78-1",
    "crm_lead_id": "L-2002",
    "opportunity_id": "OPP-78",
    "stage": "first_contact",
}
CRM_COMMUNICATION: dict[str, Any] = {
    "event_id": "crm-call-501",
    "schema_version": 2,
    "crm_lead_id": "L-2001",
    "communication_id": "call-501",
    "kind": "call",
    "owner": "zhang.san",
    "need_identified": True,
    "next_step_agreed": True,
    "minutes_uploaded": True,
}

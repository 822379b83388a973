"""Identities of a Segment call: ids, hashed email / phone from traits, WeChat / CRM / ad ids."""

from __future__ import annotations

from typing import Any

from services.ingest.envelope import Stamp, adopt_pii, hash_identities
from services.ingest.rejections import Rejection, pointer
from services.ingest.segment_calls import SegmentAlias, SegmentCall, SegmentIdentify
from services.pii import EMAIL_KEYS, PHONE_KEYS, pii_in

ID_TRAITS = (
    "wechat_openid",
    "wechat_appid",
    "wechat_unionid",
    "crm_lead_id",
    "ad_click_id",
    "ad_lead_id",
)


def _pii_kind(key: str) -> str:
    lowered = key.lower()
    return "email" if lowered in EMAIL_KEYS else "phone" if lowered in PHONE_KEYS else ""


def segment_identities(call: SegmentCall, stamp: Stamp) -> dict[str, Any] | Rejection:
    """Ids, then email / phone from traits (a 400 when invalid) or properties (only valid ones)."""
    context_traits = call.context.get("traits")
    sources: list[tuple[str, dict[str, Any]]] = []
    if isinstance(call, SegmentIdentify):
        sources.append(("traits", call.traits))
    if isinstance(context_traits, dict):
        sources.append(("context/traits", context_traits))
    raw: dict[str, Any] = {"user_id": call.userId, "anonymous_id": call.anonymousId}
    if isinstance(call, SegmentAlias):
        raw["anonymous_id"] = call.anonymousId or call.previousId
    where: dict[str, str] = {"": "/userId"}
    for base, traits in sources:  # explicit traits: an invalid email is a 400
        for key, value in traits.items():
            kind = _pii_kind(key)
            if kind and kind not in where:
                raw[kind], where[kind] = value, f"/{base}/{pointer(key)[1:]}"
            elif key in ID_TRAITS and raw.get(key) is None and isinstance(value, str):
                raw[key] = value
    properties = getattr(call, "properties", {})
    adopt_pii(raw, pii_in(properties), stamp.hasher)  # free text: only valid values
    for key in ID_TRAITS:
        if raw.get(key) is None and isinstance(properties.get(key), str):
            raw[key] = properties[key]
    return hash_identities(raw, stamp.hasher, lambda kind: where.get(kind, "/userId"))

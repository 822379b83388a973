"""WeChat pushes → drafts of our events: subscriptions, QR scans, menus, messages, and the rest."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import phonenumbers

from services.channels.dedupe import derived_event_id, wechat_dedupe_parts
from services.channels.drafts import Draft
from services.channels.wechat.safe_xml import required
from services.ingest.rejections import INVALID_VALUE, Rejection

QR_PREFIX = "qrscene_"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
Classified = tuple[str, dict[str, Any], str | None]  # event type, properties, campaign


def redact(text: str, region: str) -> tuple[str, dict[str, str]]:
    """Text with emails and phone numbers masked, and the first of each (they become identities)."""
    found: dict[str, str] = {}
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, region))):
        found["phone"] = match.raw_string
        text = text[: match.start] + "[phone]" + text[match.end :]

    def email(match: re.Match[str]) -> str:
        found.setdefault("email", match.group())
        return "[email]"

    return EMAIL.sub(email, text), found


def _coordinate(fields: dict[str, str], name: str) -> float | Rejection:
    try:
        # Two decimals (about 1 km): enough for region reports, not a person's whereabouts.
        return round(float(fields.get(name, "")), 2)
    except ValueError:
        return Rejection(INVALID_VALUE, f"/xml/{name}", f"/xml/{name}: not a number")


def _location(fields: dict[str, str]) -> Classified | Rejection:
    latitude, longitude = _coordinate(fields, "Latitude"), _coordinate(fields, "Longitude")
    for value in (latitude, longitude):
        if isinstance(value, Rejection):
            return value
    return "custom", {"name": "wechat_location_reported", "lat": latitude, "lon": longitude}, None


def _event(fields: dict[str, str]) -> Classified | Rejection:
    key = fields.get("EventKey", "")
    match fields.get("Event", "").lower():
        case "subscribe":
            scene = key.removeprefix(QR_PREFIX) if key.startswith(QR_PREFIX) else None
            return "wechat_subscribed", {"scene": scene or None}, scene or None
        case "unsubscribe":
            return "wechat_unsubscribed", {}, None
        case "scan":
            return required(fields, "EventKey") or ("wechat_qr_scanned", {"scene": key}, key)
        case "click":
            return required(fields, "EventKey") or ("wechat_menu_clicked", {"menu_key": key}, None)
        case "view":
            menu = fields.get("MenuId") or "view"
            return "wechat_menu_clicked", {"menu_key": menu, "url": key or None}, None
        case "location":
            return _location(fields)
        case "templatesendjobfinish":
            status = fields.get("Status", "")
            return "custom", {"name": "wechat_template_finished", "status": status}, None
        case "":
            return Rejection(
                INVALID_VALUE, "/xml/Event", "/xml/Event: an event push names its event"
            )
        case other:
            return "custom", {"name": f"wechat_{other[:100]}", "event_key": key}, None


def _message(
    fields: dict[str, str], max_chars: int, region: str
) -> tuple[Classified, dict[str, str]]:
    kind = fields["MsgType"]
    text = {"text": "Content", "voice": "Recognition", "link": "Title"}.get(kind, "")
    content, found = redact(fields.get(text, ""), region)
    kept = content[:max_chars] or None
    properties = {"msg_type": kind[:50], "msg_id": fields.get("MsgId") or None, "content": kept}
    return ("wechat_message_sent", properties, None), found


def draft_of(fields: dict[str, str], appid: str, max_chars: int, region: str) -> Draft | Rejection:
    """One decrypted push as a draft event, keyed by (appid, openid), unionid when present."""
    missing = required(fields, "FromUserName", "CreateTime", "MsgType")
    if missing:
        return missing
    if not fields["CreateTime"].isdigit() or len(fields["CreateTime"]) > 11:
        return Rejection(INVALID_VALUE, "/xml/CreateTime", "/xml/CreateTime: not Unix seconds")
    identities: dict[str, Any] = {
        "wechat_appid": appid,
        "wechat_openid": fields["FromUserName"],
        "wechat_unionid": fields.get("UnionId") or fields.get("UnionID") or None,
    }
    if fields["MsgType"] == "event":
        classified = _event(fields)
    else:
        classified, found = _message(fields, max_chars, region)
        identities.update(found)
    if isinstance(classified, Rejection):
        return classified
    kind, properties, campaign = classified
    return Draft(
        type=kind,
        event_id=derived_event_id("wechat", appid, *wechat_dedupe_parts(fields)),
        occurred_at=datetime.fromtimestamp(int(fields["CreateTime"]), UTC),
        identities=identities,
        properties=properties,
        campaign=campaign,
        context={"wechat_account": fields.get("ToUserName", "")},
    )

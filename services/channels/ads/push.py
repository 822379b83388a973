"""Chinese ad platforms' lead-clue pushes (Ocean Engine 飞鱼, Tencent Ads): signature, mapping.

Every profile checks the same scheme: header `X-Timestamp` (Unix seconds, within ±300 s) and
header `X-Signature` = hex HMAC-SHA256(secret, "<timestamp>.<raw body>"); a `sha256=` prefix is
accepted. Field names differ per platform: a profile maps our fields to dotted paths.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.channels.ads.profiles import field_map
from services.channels.config import AdPushProfile
from services.channels.dedupe import derived_event_id
from services.channels.drafts import Draft
from services.channels.reasons import bad_signature, missing, same_secret, within_window
from services.ingest.rejections import INVALID_VALUE, MISSING_FIELD, Rejection, pointer
from services.pii import keyed_hash


def check_signature(
    profile: AdPushProfile, headers: Mapping[str, str], body: bytes, now: float, window: float
) -> str | Rejection:
    """The verified signature (the replay cache's key), or why the push is refused."""
    timestamp = headers.get(profile.timestamp_header, "")
    given = headers.get(profile.signature_header, "").strip().lower().removeprefix("sha256=")
    if not timestamp or not given:
        return missing(
            profile.timestamp_header if not timestamp else profile.signature_header, "header"
        )
    stale = within_window(timestamp, now, window)
    if stale:
        return stale
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(profile.secret.encode(), signed, hashlib.sha256).hexdigest()
    return (
        given
        if same_secret(given, expected)
        else bad_signature(f"{profile.signature_header} does not match")
    )


def _get(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return None if value in ("", None) else value


def parse_time(value: Any, zone: str, received_at: datetime) -> datetime | None:
    """Unix seconds or milliseconds, ISO 8601, or local `YYYY-MM-DD HH:MM:SS` in `zone`."""
    if value is None:
        return received_at
    text = str(value).strip()
    try:
        if text.isdigit():
            number = int(text)
            return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def push_draft(
    profile: AdPushProfile, record: Any, received_at: datetime, secret: str
) -> Draft | Rejection:
    """One clue as a draft: clue id as the lead key, phone hashed, WeChat id keyed-hashed."""
    if not isinstance(record, Mapping):
        return Rejection(INVALID_VALUE, "", "a clue must be a JSON object")
    fields = field_map(profile)
    values = {ours: _get(record, theirs) for ours, theirs in fields.items()}
    clue = values.get("clue_id")
    if clue is None:
        where = pointer(*fields.get("clue_id", "clue_id").split("."))
        return Rejection(MISSING_FIELD, where, f"{where}: the clue id is required")
    occurred = parse_time(values.get("create_time"), profile.timezone, received_at)
    if occurred is None:
        where = pointer(*fields["create_time"].split("."))
        return Rejection(INVALID_VALUE, where, f"{where}: not a time")
    ids = {
        key: str(values[key])[:200] if values.get(key) is not None else None
        for key in ("ad_id", "campaign_id", "creative_id")
    }
    wechat = values.get("wechat")
    context = {"source": str(values["source"])[:200]} if values.get("source") else {}
    if wechat:  # a WeChat id (微信号) is personal: kept only as a keyed hash, to match later
        context["wechat_id_hash"] = keyed_hash(secret, str(wechat).strip())
    return Draft(
        type="ad_lead_submitted",
        event_id=derived_event_id(profile.platform, str(clue)),
        occurred_at=occurred,
        identities={
            "ad_lead_id": f"{profile.platform}:{clue}",
            "phone": _text(values.get("phone")),
        },
        properties={"platform": profile.platform, "lead_id": str(clue)[:200], **ids},
        campaign=ids["campaign_id"],
        context=context,
        contact={"name": _text(values.get("name"))} if values.get("name") is not None else {},
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def push_drafts(
    profile: AdPushProfile, data: Any, received_at: datetime, secret: str
) -> list[Draft] | Rejection:
    """One clue (an object) or many (an array); one malformed clue refuses the push."""
    records = data if isinstance(data, list) else [data]
    drafts = []
    for index, item in enumerate(records):
        draft = push_draft(profile, item, received_at, secret)
        if isinstance(draft, Rejection):
            return draft.under(pointer(index)) if isinstance(data, list) else draft
        drafts.append(draft)
    return drafts

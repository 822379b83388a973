"""Segment calls → our envelope: event-name table, identities from traits, skew-corrected time."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.events import EVENT_MODELS, Channel, Event
from services.ingest.envelope import (
    Stamp,
    build_event,
    check_time,
    corrected_time,
    fields_of,
    hold_contact,
    new_event_id,
    properties_type,
)
from services.ingest.rejections import UNKNOWN_CHANNEL, Rejection
from services.ingest.segment_calls import (
    SegmentAlias,
    SegmentCall,
    SegmentGroup,
    SegmentIdentify,
    SegmentPage,
    SegmentScreen,
    SegmentTrack,
)
from services.ingest.segment_identities import segment_identities
from services.pii import pii_in, scrub
from services.vault.contact import contact_in, scrub_contact

# Track calls whose properties are a form's answers: their name, company, … are contact details.
LEAD_FORMS = frozenset({"form_submitted", "demo_requested", "ad_lead_submitted"})
SEGMENT_CHANNELS = frozenset({"browser", "server", "mobile", "client", "web"})
# Segment spec property names → ours, per event type.
ALIASES: dict[str, dict[str, str]] = {
    "video_watched": {
        "position": "seconds",
        "content_asset_id": "video_id",
        "asset_id": "video_id",
    },
    "email_opened": {"email_id": "message_id"},
    "email_clicked": {"email_id": "message_id", "link_url": "url"},
    "asset_downloaded": {"kind": "asset_kind", "file_id": "asset_id", "name": "title"},
    "page_viewed": {"dwell": "dwell_seconds", "name": "title"},
    "form_submitted": {"formId": "form_id", "form": "form_id", "formName": "form_name"},
}
# What a marketer's SDK sends need not carry our ids: `analytics.track(uid, "Form Submitted", {})`
# is a form all the same. A missing id is recorded as `unknown`, and the rules score the event.
UNKNOWN = "unknown"
DEFAULTS: dict[str, dict[str, str]] = {
    "form_submitted": {"form_id": UNKNOWN},
    "video_watched": {"video_id": UNKNOWN},
    "asset_downloaded": {"asset_id": UNKNOWN},
}
_IDENTITY_NAMES = {"user_id": "userId", "anonymous_id": "anonymousId"}
_ENVELOPE_NAMES: dict[str, Sequence[str]] = {
    "event_id": ("messageId",),
    "occurred_at": ("timestamp",),
    "campaign": ("context", "campaign", "name"),
}


def event_name_key(name: str) -> str:
    """How event names are compared: lower case, `_` and `-` read as spaces."""
    return re.sub(r"[\s_\-]+", " ", name).strip().lower()


def _rename(loc: Sequence[str | int]) -> Sequence[str | int]:
    if not loc:
        return loc
    head, rest = loc[0], list(loc[1:])
    if head == "identities" and rest:
        return [_IDENTITY_NAMES.get(str(rest[0]), f"context/traits/{rest[0]}")]
    return [*_ENVELOPE_NAMES.get(str(head), (str(head),)), *rest]


@dataclass(frozen=True)
class SegmentMapper:
    """Maps Segment calls with a configured event-name table (names not in it: `custom`)."""

    event_types: Mapping[str, str]

    @classmethod
    def from_table(cls, table: Mapping[str, str]) -> SegmentMapper:
        """A mapper from the settings table; raises ValueError naming an unknown type."""
        unknown = sorted(set(table.values()) - set(EVENT_MODELS))
        if unknown:
            raise ValueError(f"segment_event_types maps to unknown event types: {unknown}")
        return cls({event_name_key(name): kind for name, kind in table.items()})

    def to_event(
        self,
        call: SegmentCall,
        stamp: Stamp,
        default_channel: str,
        batch_sent_at: datetime | None = None,
    ) -> Event | Rejection:
        """One Segment call as our event, or why not (pointers in Segment's field names)."""
        channel = self._channel(call.channel, default_channel)
        if isinstance(channel, Rejection):
            return channel
        identities = segment_identities(call, stamp)
        if isinstance(identities, Rejection):
            return identities
        occurred_at = corrected_time(
            call.timestamp or call.originalTimestamp,
            call.sentAt or batch_sent_at,
            stamp.received_at,
        )
        late = check_time(occurred_at, stamp.received_at, "/timestamp")
        if late:
            return late
        kind, properties, extra = self._typed(call)
        context = scrub(call.context)
        assert isinstance(context, dict)
        pii, details = _contact_sources(call, kind)
        if isinstance(context.get("traits"), dict):
            context["traits"] = scrub_contact(context["traits"])
        if extra:
            context["extra_properties"] = scrub(
                scrub_contact(extra) if kind in LEAD_FORMS else extra
            )
        campaign = context.get("campaign")
        fields = {
            "event_id": call.messageId or new_event_id(),
            "type": kind,
            "channel": channel,
            "occurred_at": occurred_at,
            "received_at": stamp.received_at,
            "source": stamp.source,
            "identities": identities,
            "campaign": campaign.get("name") if isinstance(campaign, dict) else None,
            "context": context,
            "properties": properties,
        }
        return hold_contact(stamp, build_event(fields, _rename), pii, *details)

    @staticmethod
    def _channel(given: str | None, default: str) -> str | Rejection:
        if given is None or given in SEGMENT_CHANNELS:
            return default
        if given in Channel.__members__.values():
            return given
        known = ", ".join(sorted(Channel))
        message = f"/channel: unknown channel {given[:50]!r}; expected one of {known}"
        return Rejection(UNKNOWN_CHANNEL, "/channel", message)

    def _typed(self, call: SegmentCall) -> tuple[str, dict[str, Any], dict[str, Any]]:
        match call:
            case SegmentTrack():
                kind = self.event_types.get(event_name_key(call.event), "custom")
                if kind == "custom":
                    return _custom(call.event, call.properties)
                return _properties(kind, call.properties)
            case SegmentScreen():
                return _custom("screen_viewed", {"screen_name": call.name, **call.properties})
            case SegmentPage():
                page = call.context.get("page")
                page = page if isinstance(page, dict) else {}
                defaults = {
                    "url": page.get("url"),
                    "title": call.name,
                    "referrer": page.get("referrer"),
                }
                given = {k: v for k, v in defaults.items() if v is not None}
                return _properties("page_viewed", {**given, **call.properties})
            case SegmentAlias():
                return "identify", {"traits": {"previous_id": call.previousId}}, {}
            case SegmentGroup():
                traits = {"group_id": call.groupId, "group_traits": scrub(call.traits)}
                return "identify", {"traits": traits}, {}
            case SegmentIdentify():
                return "identify", {"traits": scrub_contact(scrub(call.traits))}, {}
        raise AssertionError(f"unmapped Segment call {type(call).__name__}")  # pragma: no cover


def _contact_sources(call: SegmentCall, kind: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Raw email / phone and the contact details of a call: traits first, then a lead form's."""
    context_traits = call.context.get("traits")
    sources = [call.traits] if isinstance(call, SegmentIdentify) else []
    sources += [context_traits] if isinstance(context_traits, dict) else []
    if kind in LEAD_FORMS:
        sources.append(getattr(call, "properties", {}))
    pii: dict[str, str] = {}
    for source in sources:
        for key, value in pii_in(source).items():
            pii.setdefault(key, value)
    details = [found for source in sources if (found := contact_in(source))]
    return pii, details


def _properties(kind: str, given: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    aliases = ALIASES.get(kind, {})
    renamed = {aliases.get(key, key): value for key, value in given.items()}
    model = properties_type(EVENT_MODELS[kind])
    assert isinstance(model, type)
    own, rest = fields_of(model, renamed)
    for name, default in DEFAULTS.get(kind, {}).items():
        if own.get(name) in (None, ""):
            own[name] = default
    if kind == "ad_lead_submitted" and "lead_id" not in own and "ad_lead_id" in given:
        own["lead_id"] = given["ad_lead_id"]
    return kind, own, rest


def _custom(name: str, given: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    free = scrub(given)
    assert isinstance(free, dict)
    clash = {"name": free.pop("name")} if "name" in free else {}
    return "custom", {"name": name, **free}, clash

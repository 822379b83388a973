"""The incoming event contract: one envelope, typed properties per event type."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

SchemaVersion = Literal[1, 2]
SCHEMA_VERSION: SchemaVersion = 2  # the newest contract; docs/ingest.md "Versions"
UNNAMED_VERSION: SchemaVersion = 1  # what an envelope naming no version is: producers before v2
WON_STAGE = "won"  # the terminal won stage of every configured stage list (funnel/model/stages.py)


class Channel(StrEnum):
    """Where an event came from."""

    WEBSITE = "website"
    WECHAT = "wechat"
    ADS = "ads"
    EMAIL = "email"
    CRM = "crm"
    API = "api"


class AssetKind(StrEnum):
    """Kinds of downloadable material; the kind weighs in scoring."""

    WHITEPAPER = "whitepaper"
    CASE_STUDY = "case_study"
    PRICE_LIST = "price_list"
    PRODUCT_BROCHURE = "product_brochure"
    DATASHEET = "datasheet"
    WEBINAR_RECORDING = "webinar_recording"
    OTHER = "other"


class Contract(BaseModel):
    """Base of every contract model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# `Identities.keys()` order around the WeChat openid: (key kind, field), strongest first.
_STRONGER_KEYS = (
    ("crm", "crm_lead_id"),
    ("user", "user_id"),
    ("phone", "phone_hash"),
    ("email", "email_hash"),
    ("wx_union", "wechat_unionid"),
)
_WEAKER_KEYS = (("ad_lead", "ad_lead_id"), ("ad_click", "ad_click_id"), ("anon", "anonymous_id"))


class Identities(Contract):
    """Every identifier an event may carry; email and phone only as keyed hashes."""

    anonymous_id: str | None = Field(default=None, min_length=1, max_length=200)
    user_id: str | None = Field(default=None, min_length=1, max_length=200)
    email_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    phone_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    wechat_appid: str | None = Field(default=None, min_length=1, max_length=64)
    wechat_openid: str | None = Field(default=None, min_length=1, max_length=128)
    wechat_unionid: str | None = Field(default=None, min_length=1, max_length=128)
    ad_click_id: str | None = Field(default=None, min_length=1, max_length=512)
    ad_lead_id: str | None = Field(default=None, min_length=1, max_length=200)
    crm_lead_id: str | None = Field(default=None, min_length=1, max_length=200)

    def keys(self) -> list[str]:
        """Identity keys as `kind:value`, strongest first (WeChat openids scoped by app)."""
        fields = self.__dict__  # called for every event, twice: plain lookups, no list of pairs
        keys = [f"{kind}:{fields[name]}" for kind, name in _STRONGER_KEYS if fields[name]]
        if fields["wechat_openid"]:
            keys.append(f"wx_open:{fields['wechat_appid'] or '-'}/{fields['wechat_openid']}")
        keys += [f"{kind}:{fields[name]}" for kind, name in _WEAKER_KEYS if fields[name]]
        return keys

    def strongest(self) -> str | None:
        """The strongest identity key, used as the Kafka key of raw events."""
        keys = self.keys()
        return keys[0] if keys else None


# --- properties per event type -------------------------------------------------------------


class PageViewed(Contract):
    url: str = Field(min_length=1, max_length=2048)
    title: str | None = Field(default=None, max_length=500)
    referrer: str | None = Field(default=None, max_length=2048)
    dwell_seconds: float = Field(default=0, ge=0, le=86400)


class FormSubmitted(Contract):
    form_id: str = Field(min_length=1, max_length=200)
    form_name: str | None = Field(default=None, max_length=200)


class VideoWatched(Contract):
    video_id: str = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=500)
    seconds: float = Field(default=0, ge=0)
    percent: float = Field(default=0, ge=0, le=100)


class AssetDownloaded(Contract):
    asset_id: str = Field(min_length=1, max_length=200)
    asset_kind: AssetKind = AssetKind.OTHER
    title: str | None = Field(default=None, max_length=500)


class EmailOpened(Contract):
    campaign_id: str | None = Field(default=None, max_length=200)
    message_id: str | None = Field(default=None, max_length=200)


class EmailClicked(Contract):
    campaign_id: str | None = Field(default=None, max_length=200)
    message_id: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2048)


class DemoRequested(Contract):
    product: str | None = Field(default=None, max_length=200)
    preferred_time: AwareDatetime | None = None


class WechatSubscribed(Contract):
    scene: str | None = Field(default=None, max_length=200, description="qrscene_ value")


class WechatUnsubscribed(Contract):
    pass


class WechatMenuClicked(Contract):
    menu_key: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=2048)


class WechatQrScanned(Contract):
    scene: str = Field(min_length=1, max_length=200)


class WechatMessageSent(Contract):
    msg_type: str = Field(min_length=1, max_length=50)
    msg_id: str | None = Field(default=None, max_length=64)
    content: str | None = Field(default=None, max_length=2000, description="truncated by config")


class AdClicked(Contract):
    platform: str = Field(min_length=1, max_length=50)
    campaign_id: str | None = Field(default=None, max_length=200)
    ad_id: str | None = Field(default=None, max_length=200)
    creative_id: str | None = Field(default=None, max_length=200)


class AdLeadSubmitted(Contract):
    platform: str = Field(min_length=1, max_length=50)
    lead_id: str = Field(min_length=1, max_length=200)
    campaign_id: str | None = Field(default=None, max_length=200)
    ad_id: str | None = Field(default=None, max_length=200)
    creative_id: str | None = Field(default=None, max_length=200)
    is_test: bool = False


class SalesStageChanged(Contract):
    opportunity_id: str = Field(min_length=1, max_length=200)
    stage: str = Field(min_length=1, max_length=100)
    previous_stage: str | None = Field(default=None, max_length=100)
    amount: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    owner: str | None = Field(default=None, max_length=200)
    lost_reason: str | None = Field(default=None, max_length=500)


Evidence = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9_.-]+$")
]


class SalesStageChangedV2(SalesStageChanged):
    """Version 2: the owner always, a won deal's amount and currency, and what the CRM attached
    to the move (evidence kinds and an approver) that the stage gates judge
    (funnel/model/gates.py)."""

    owner: str = Field(min_length=1, max_length=200, description="the sales rep")
    evidence: list[Evidence] = Field(
        default_factory=list,
        max_length=20,
        description="kinds of evidence attached to the move, e.g. needs_document, quote",
    )
    approved_by: str | None = Field(
        default=None, min_length=1, max_length=200, description="who approved the move, if anyone"
    )
    # validate_default: a won stage with no amount (or currency) at all is caught too.
    amount: float | None = Field(default=None, ge=0, validate_default=True)
    currency: str | None = Field(default=None, min_length=3, max_length=3, validate_default=True)

    @field_validator("amount", "currency")
    @classmethod
    def _required_when_won(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.data.get("stage") == WON_STAGE:
            raise PydanticCustomError(
                "missing", "Field required when the stage is won (schema version 2)"
            )
        return value


class CommunicationLogged(Contract):
    communication_id: str = Field(min_length=1, max_length=200)
    kind: Literal["call", "meeting", "visit", "wechat", "email", "other"] = "other"
    owner: str | None = Field(default=None, max_length=200)
    opportunity_id: str | None = Field(default=None, max_length=200)
    need_identified: bool = False
    next_step_agreed: bool = False
    referral_obtained: bool = False
    minutes_uploaded: bool = Field(default=False, description="complete meeting minutes uploaded")

    @property
    def is_effective(self) -> bool:
        """Only effective communication counts: a need, a next step or a referral."""
        return self.need_identified or self.next_step_agreed or self.referral_obtained


class CommunicationLoggedV2(CommunicationLogged):
    """Version 2: the owner always, and when the agreed next step is due."""

    owner: str = Field(min_length=1, max_length=200, description="the sales rep")
    next_step_due: date | None = Field(
        default=None, description="the day the agreed next step is due (the rep's weekly to-do)"
    )


class FeedbackGiven(Contract):
    score: int = Field(ge=0, le=10, description="NPS-style: 0 (never) .. 10 (surely) recommend")
    owner: str | None = Field(default=None, max_length=200, description="the rep it is about")
    opportunity_id: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=500)


class Identify(Contract):
    traits: dict[str, Any] = Field(default_factory=dict)


class Custom(Contract):
    model_config = ConfigDict(frozen=True, extra="allow")
    name: str = Field(min_length=1, max_length=200)


# --- the envelope ----------------------------------------------------------------------------


class SealedContact(Contract):
    """Contact details sealed by the PII vault: only a holder of the person's data key opens them.

    `ciphertext` is URL-safe base64 of nonce ‖ AES-256-GCM ciphertext ‖ tag of the JSON contact
    (name, email, phone, company, job_title, city), bound to `key_id`; erasure deletes the key.
    `company_index` holds keyed blind-index tokens of the company name's prefixes, for search.
    """

    key_id: str = Field(pattern=r"^k_[0-9a-f]{32}$", description="the data key in the vault")
    ciphertext: str = Field(min_length=16, max_length=8192, pattern=r"^[A-Za-z0-9_-]+$")
    company_index: list[str] = Field(default_factory=list, max_length=31)


class EnvelopeBase(Contract):
    """Fields every event carries, whatever its type."""

    event_id: str = Field(min_length=1, max_length=128)
    channel: Channel
    occurred_at: AwareDatetime
    received_at: AwareDatetime
    source: str = Field(min_length=1, max_length=100, description="write key name")
    schema_version: SchemaVersion = UNNAMED_VERSION
    identities: Identities
    campaign: str | None = Field(default=None, max_length=200)
    context: dict[str, Any] = Field(default_factory=dict, description="user agent, locale, …")
    contact: SealedContact | None = Field(
        default=None, description="version 2: the person's contact details, sealed by ingest"
    )

    @field_validator("contact")
    @classmethod
    def _contact_is_version_2(cls, value: object, info: ValidationInfo) -> object:
        if value is not None and info.data.get("schema_version") != 2:
            raise PydanticCustomError(
                "version_mismatch", "contact is part of schema version 2: name schema_version 2"
            )
        return value


class PageViewedEvent(EnvelopeBase):
    type: Literal["page_viewed"] = "page_viewed"
    properties: PageViewed


class FormSubmittedEvent(EnvelopeBase):
    type: Literal["form_submitted"] = "form_submitted"
    properties: FormSubmitted


class VideoWatchedEvent(EnvelopeBase):
    type: Literal["video_watched"] = "video_watched"
    properties: VideoWatched


class AssetDownloadedEvent(EnvelopeBase):
    type: Literal["asset_downloaded"] = "asset_downloaded"
    properties: AssetDownloaded


class EmailOpenedEvent(EnvelopeBase):
    type: Literal["email_opened"] = "email_opened"
    properties: EmailOpened = EmailOpened()


class EmailClickedEvent(EnvelopeBase):
    type: Literal["email_clicked"] = "email_clicked"
    properties: EmailClicked = EmailClicked()


class DemoRequestedEvent(EnvelopeBase):
    type: Literal["demo_requested"] = "demo_requested"
    properties: DemoRequested = DemoRequested()


class WechatSubscribedEvent(EnvelopeBase):
    type: Literal["wechat_subscribed"] = "wechat_subscribed"
    properties: WechatSubscribed = WechatSubscribed()


class WechatUnsubscribedEvent(EnvelopeBase):
    type: Literal["wechat_unsubscribed"] = "wechat_unsubscribed"
    properties: WechatUnsubscribed = WechatUnsubscribed()


class WechatMenuClickedEvent(EnvelopeBase):
    type: Literal["wechat_menu_clicked"] = "wechat_menu_clicked"
    properties: WechatMenuClicked


class WechatQrScannedEvent(EnvelopeBase):
    type: Literal["wechat_qr_scanned"] = "wechat_qr_scanned"
    properties: WechatQrScanned


class WechatMessageSentEvent(EnvelopeBase):
    type: Literal["wechat_message_sent"] = "wechat_message_sent"
    properties: WechatMessageSent


class AdClickedEvent(EnvelopeBase):
    type: Literal["ad_clicked"] = "ad_clicked"
    properties: AdClicked


class AdLeadSubmittedEvent(EnvelopeBase):
    type: Literal["ad_lead_submitted"] = "ad_lead_submitted"
    properties: AdLeadSubmitted


class Version1(EnvelopeBase):
    """Mixed in first by the version 1 model of a type whose contract differs by version."""

    schema_version: Literal[1] = 1


class Version2(EnvelopeBase):
    """Mixed in first by the version 2 model of a type whose contract differs by version."""

    schema_version: Literal[2] = 2


class SalesStageChangedEvent(EnvelopeBase):
    """A stage change of either version (match on this); decode with `parse_event`."""

    type: Literal["sales_stage_changed"] = "sales_stage_changed"
    properties: SalesStageChanged


class SalesStageChangedV1Event(Version1, SalesStageChangedEvent):
    pass


class SalesStageChangedV2Event(Version2, SalesStageChangedEvent):
    properties: SalesStageChangedV2


class CommunicationLoggedEvent(EnvelopeBase):
    """A communication of either version (match on this); decode with `parse_event`."""

    type: Literal["communication_logged"] = "communication_logged"
    properties: CommunicationLogged


class CommunicationLoggedV1Event(Version1, CommunicationLoggedEvent):
    pass


class CommunicationLoggedV2Event(Version2, CommunicationLoggedEvent):
    properties: CommunicationLoggedV2


class FeedbackGivenEvent(EnvelopeBase):
    type: Literal["feedback_given"] = "feedback_given"
    properties: FeedbackGiven


class IdentifyEvent(EnvelopeBase):
    type: Literal["identify"] = "identify"
    properties: Identify = Identify()


class CustomEvent(EnvelopeBase):
    type: Literal["custom"] = "custom"
    properties: Custom


def _version_tag(value: Any) -> str:
    given = value.get("schema_version") if isinstance(value, dict) else value.schema_version
    return "2" if given == 2 else "1"  # anything else fails version 1's Literal[1], by name


# Types whose contract differs by version: decoded as the version the envelope names.
SalesStageChange = Annotated[
    Annotated[SalesStageChangedV1Event, Tag("1")] | Annotated[SalesStageChangedV2Event, Tag("2")],
    Discriminator(_version_tag),
]
Communication = Annotated[
    Annotated[CommunicationLoggedV1Event, Tag("1")]
    | Annotated[CommunicationLoggedV2Event, Tag("2")],
    Discriminator(_version_tag),
]
VERSIONED_MODELS: dict[tuple[str, int], type[EnvelopeBase]] = {
    ("sales_stage_changed", 1): SalesStageChangedV1Event,
    ("sales_stage_changed", 2): SalesStageChangedV2Event,
    ("communication_logged", 1): CommunicationLoggedV1Event,
    ("communication_logged", 2): CommunicationLoggedV2Event,
}

Event = Annotated[
    PageViewedEvent
    | FormSubmittedEvent
    | VideoWatchedEvent
    | AssetDownloadedEvent
    | EmailOpenedEvent
    | EmailClickedEvent
    | DemoRequestedEvent
    | WechatSubscribedEvent
    | WechatUnsubscribedEvent
    | WechatMenuClickedEvent
    | WechatQrScannedEvent
    | WechatMessageSentEvent
    | AdClickedEvent
    | AdLeadSubmittedEvent
    | SalesStageChange
    | Communication
    | FeedbackGivenEvent
    | IdentifyEvent
    | CustomEvent,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
# One model per type, either version (the versioned types' common base): match on these.
EVENT_MODELS: dict[str, type[EnvelopeBase]] = {
    model.model_fields["type"].default: model
    for model in EnvelopeBase.__subclasses__()
    if "type" in model.model_fields  # not the version mixins
}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_MODELS)


def event_model(kind: str, version: object) -> type[EnvelopeBase]:
    """The model to validate an envelope of this type with, for the version it names."""
    # No version named: version 1. An unknown one: the common model, whose error names 1 and 2.
    named = UNNAMED_VERSION if version is None else version
    return VERSIONED_MODELS.get((kind, named), EVENT_MODELS[kind])  # type: ignore[arg-type]


def parse_event(data: bytes | str | dict[str, Any]) -> Event:
    """Validate one envelope from JSON bytes/str or a dict; raises pydantic.ValidationError."""
    if isinstance(data, dict):
        return EVENT_ADAPTER.validate_python(data)
    return EVENT_ADAPTER.validate_json(data)


def event_json(event: Event) -> bytes:
    """Canonical JSON bytes of an event, as published to Kafka."""
    # The event's own serializer: the same bytes as the union's, without its dispatch.
    return event.__pydantic_serializer__.to_json(event, exclude_none=True)

"""Segment HTTP tracking API calls with their official field names (track, page, identify, …)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter


def _numbers_as_text(value: Any) -> Any:
    # Segment accepts numeric ids; the SDKs of some languages send them unquoted.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _null_as_empty(value: Any) -> Any:
    return {} if value is None else value


SegmentId = Annotated[str, BeforeValidator(_numbers_as_text), Field(min_length=1, max_length=200)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(_null_as_empty)]


class SegmentCall(BaseModel):
    """Fields common to every call; unknown fields (integrations, version, …) are ignored."""

    model_config = ConfigDict(extra="allow", frozen=True)

    messageId: Annotated[str, BeforeValidator(_numbers_as_text)] | None = Field(
        default=None, min_length=1, max_length=128, description="dedupe id; retries reuse it"
    )
    anonymousId: SegmentId | None = None
    userId: SegmentId | None = None
    timestamp: datetime | None = Field(default=None, description="ISO-8601; skew-corrected")
    originalTimestamp: datetime | None = None
    sentAt: datetime | None = Field(default=None, description="client clock when sent")
    context: JsonObject = Field(default_factory=dict)
    channel: str | None = Field(
        default=None,
        description="one of our channels; Segment's browser/server/mobile or none: "
        "the write key's first channel",
    )
    writeKey: str | None = Field(default=None, description="alternative to HTTP Basic auth")


class SegmentTrack(SegmentCall):
    """A user did something: mapped by event name to our types, or `custom`."""

    type: Literal["track"] = "track"
    event: str = Field(min_length=1, max_length=200, examples=["Form Submitted"])
    properties: JsonObject = Field(default_factory=dict)


class SegmentPage(SegmentCall):
    """A page view: `page_viewed` (url from properties.url or context.page.url)."""

    type: Literal["page"] = "page"
    name: str | None = Field(default=None, max_length=500)
    category: str | None = Field(default=None, max_length=200)
    properties: JsonObject = Field(default_factory=dict)


class SegmentScreen(SegmentPage):
    """A mobile screen view: a `custom` event named screen_viewed."""

    type: Literal["screen"] = "screen"  # type: ignore[assignment]


class SegmentIdentify(SegmentCall):
    """Who the user is: `identify`; email / phone traits become hashed identities."""

    type: Literal["identify"] = "identify"
    traits: JsonObject = Field(default_factory=dict)


class SegmentAlias(SegmentCall):
    """Two ids are one person: an `identify` event carrying both."""

    type: Literal["alias"] = "alias"
    previousId: SegmentId
    userId: SegmentId


class SegmentGroup(SegmentCall):
    """The user belongs to an account: an `identify` event with group traits."""

    type: Literal["group"] = "group"
    groupId: SegmentId
    traits: JsonObject = Field(default_factory=dict)


SEGMENT_CALLS: dict[str, type[SegmentCall]] = {
    "track": SegmentTrack,
    "page": SegmentPage,
    "screen": SegmentScreen,
    "identify": SegmentIdentify,
    "alias": SegmentAlias,
    "group": SegmentGroup,
}
SegmentMessage = Annotated[
    Union[SegmentTrack, SegmentPage, SegmentScreen, SegmentIdentify, SegmentAlias, SegmentGroup],  # noqa: UP007
    Field(discriminator="type"),
]
SEGMENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(SegmentMessage)


class SegmentBatch(BaseModel):
    """`/v1/batch`: many calls; each is answered on its own, batch `context` applies to all."""

    model_config = ConfigDict(extra="allow", frozen=True)

    batch: list[SegmentMessage]
    sentAt: datetime | None = None
    context: JsonObject = Field(default_factory=dict)
    writeKey: str | None = None

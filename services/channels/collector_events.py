"""The collector's beacons → our events: one body, shared fields merged into each event."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from schemas.events import Channel, Event
from services.channels.drafts import Draft, finish
from services.ingest.envelope import Stamp, corrected_time
from services.ingest.handling import Unpack
from services.ingest.rejections import Rejection, from_validation_error
from services.ingest.unpack import array
from services.pii import pii_in, scrub
from services.settings import WriteKey
from services.vault.contact import contact_in, scrub_contact

SHARED = ("anonymousId", "sentAt", "context")


class BeaconEvent(BaseModel):
    """One event of a beacon, with the beacon's anonymous id, send time and page context."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal[
        "page_viewed",
        "form_submitted",
        "asset_downloaded",
        "video_watched",
        "demo_requested",
        "identify",
    ]
    messageId: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    timestamp: AwareDatetime | None = None
    properties: dict[str, Any] = {}
    traits: dict[str, Any] = {}
    anonymousId: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    sentAt: AwareDatetime | None = None
    context: dict[str, Any] = {}


def _shared(body: dict[str, Any], item: Any) -> Any:
    return {**item, **{key: body[key] for key in SHARED if key in body}}


def beacon_items(limit: int) -> Unpack:
    """Events in `{"events": [...]}`, each given the beacon's shared fields."""
    return array("events", limit, _shared)


def _campaign(context: dict[str, Any]) -> str | None:
    campaign = context.get("campaign")
    name = campaign.get("name") if isinstance(campaign, dict) else None
    return name[:200] if isinstance(name, str) and name else None


def beacon_event(item: Any, stamp: Stamp, key: WriteKey) -> Event | Rejection:
    """One beacon event as ours; identify's email / phone become hashed identities."""
    try:
        given = BeaconEvent.model_validate(item)
    except ValidationError as error:
        return from_validation_error(error)
    identities: dict[str, Any] = {"anonymous_id": given.anonymousId}
    properties, contact = given.properties, {}
    if given.type == "identify":
        identities.update(pii_in(given.traits))
        properties = {"traits": scrub_contact(scrub(given.traits))}
        contact = contact_in(given.traits)
    draft = Draft(
        type=given.type,
        event_id=given.messageId,
        occurred_at=corrected_time(given.timestamp, given.sentAt, stamp.received_at),
        identities=identities,
        properties=properties,
        campaign=_campaign(given.context),
        context=scrub(given.context),  # type: ignore[arg-type]
        contact=contact,
    )
    return finish(draft, Channel.WEBSITE, stamp)

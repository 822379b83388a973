"""What every channel adapter shares: bounded raw bodies, publishing once, counted answers."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request, Response

from schemas.events import Channel, Event
from services.channels.dedupe import RecentIds
from services.channels.drafts import Draft, finish
from services.channels.telemetry import record
from services.ingest.answers import json_response
from services.ingest.envelope import Stamp
from services.ingest.handling import Ingest
from services.ingest.rejections import PAYLOAD_TOO_LARGE, Rejection, pointer
from services.ingest.telemetry import EVENTS_ACCEPTED, EVENTS_RECEIVED

ACCEPTED, DUPLICATE, IGNORED = "accepted", "duplicate", "ignored"


async def read_raw(request: Request, limit: int) -> bytes | Rejection:
    """The raw body (signatures cover these exact bytes), or a 413 past `limit` bytes."""
    declared = request.headers.get("content-length", "")
    too_large = Rejection(PAYLOAD_TOO_LARGE, "", f"body exceeds {limit} bytes", status=413)
    if declared.isdigit() and int(declared) > limit:
        return too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def publish_once(
    ingest: Ingest, recent: RecentIds, events: Sequence[Event]
) -> Rejection | str:
    """Publish the events this process has not published lately; the outcome, or why not."""
    fresh = [event for event in events if not recent.seen(event.event_id)]
    if not events:
        return IGNORED
    if not fresh:
        return DUPLICATE
    failed = await ingest.publisher.publish(fresh)
    if failed:
        return failed
    recent.remember(*(event.event_id for event in fresh))
    for event in fresh:
        EVENTS_RECEIVED.labels(event.channel.value, event.type).inc()
        EVENTS_ACCEPTED.labels(event.channel.value, event.type).inc()
    return ACCEPTED


async def deliver(
    ingest: Ingest, recent: RecentIds, channel: Channel, drafts: Sequence[Draft], stamp: Stamp
) -> Rejection | str:
    """Finish every draft (one refused refuses them all), then publish what is new."""
    events: list[Event] = []
    for index, draft in enumerate(drafts):
        event = finish(draft, channel, stamp)
        if isinstance(event, Rejection):
            return event.under(pointer(index)) if len(drafts) > 1 else event
        events.append(event)
    sealed = await ingest.sealer.seal(events, stamp.contacts) if stamp.contacts else events
    if isinstance(sealed, Rejection):
        return sealed
    return await publish_once(ingest, recent, sealed)


def refused(channel: str, rejection: Rejection) -> Response:
    """A counted rejection: JSON `{code, message, pointer}` with its status."""
    record(channel, rejection.code)
    return json_response(rejection.body(), rejection.status, rejection.retry_after)

"""Ad-platform lead webhooks (`/v1/channels/ads/{platform}`): Google, Meta, Chinese clue pushes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from schemas.events import Channel, Event
from services.channels.ads_google import check_key, google_draft
from services.channels.ads_meta import check_signature as meta_signature
from services.channels.ads_meta import meta_drafts, verify_subscription
from services.channels.ads_push import check_signature as push_signature
from services.channels.ads_push import push_draft
from services.channels.dedupe import RecentIds
from services.channels.delivery import DUPLICATE, publish_once, read_raw, refused
from services.channels.drafts import Draft, finish
from services.channels.metrics import record
from services.channels.reasons import NOT_CONFIGURED
from services.ingest.answers import json_response
from services.ingest.body import parse_json
from services.ingest.envelope import Stamp
from services.ingest.handling import Ingest
from services.ingest.rejections import Rejection, pointer
from services.ingest.routes import IngestDep
from services.settings import Settings


class AdsDesk:
    """Each platform's checks, then one way to publish: finish drafts, publish once, count."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.profiles = {profile.platform: profile for profile in settings.ad_push_profiles}
        self.clock = clock
        self.recent = RecentIds(settings.channel_dedupe_seconds)
        self.replays = RecentIds(2 * settings.ad_push_window_seconds)

    async def _publish(
        self, ingest: Ingest, channel: str, drafts: list[Draft] | Rejection, received_at: datetime
    ) -> Response | None:
        if isinstance(drafts, Rejection):
            return refused(channel, drafts)
        stamp = Stamp(received_at, f"ads-{channel}", ingest.hasher)
        events: list[Event] = []
        for index, draft in enumerate(drafts):
            event = finish(draft, Channel.ADS, stamp)
            if isinstance(event, Rejection):
                return refused(channel, event.under(pointer(index)) if len(drafts) > 1 else event)
            events.append(event)
        outcome = await publish_once(ingest, self.recent, events)
        if isinstance(outcome, Rejection):
            return refused(channel, outcome)
        record(channel, outcome)
        return None

    async def google(self, request: Request, ingest: Ingest) -> Response:
        """Google's lead form webhook: `google_key` checked, then one lead."""
        received_at = datetime.now(UTC)
        data = await self._json(request, self.settings.ingest_max_event_bytes)
        denied = (
            data if isinstance(data, Rejection) else check_key(data, self.settings.google_ads_key)
        )
        if denied:
            return refused("google_ads", denied)
        drafts = google_draft(data, received_at)
        failed = await self._publish(
            ingest, "google_ads", [drafts] if isinstance(drafts, Draft) else drafts, received_at
        )
        return failed or json_response({}, 200)

    async def meta(self, request: Request, ingest: Ingest) -> Response:
        """Meta's leadgen notifications, signed with the app secret."""
        received_at = datetime.now(UTC)
        body = await read_raw(request, self.settings.ingest_max_batch_bytes)
        if isinstance(body, Rejection):
            return refused("meta", body)
        denied = meta_signature(
            body, request.headers.get("x-hub-signature-256"), self.settings.meta_app_secret
        )
        data = denied or parse_json(body)
        if isinstance(data, Rejection):
            return refused("meta", data)
        failed = await self._publish(ingest, "meta", meta_drafts(data, received_at), received_at)
        return failed or PlainTextResponse("EVENT_RECEIVED")

    async def push(self, request: Request, ingest: Ingest, platform: str) -> Response:
        """A clue push checked against its profile: signature, window, replay cache."""
        received_at = datetime.now(UTC)
        profile = self.profiles.get(platform)
        if profile is None:
            message = f"no ad push profile {platform[:40]!r} is configured"
            return refused("unknown", Rejection(NOT_CONFIGURED, "/platform", message, status=404))
        body = await read_raw(request, self.settings.ingest_max_batch_bytes)
        signature = (
            body
            if isinstance(body, Rejection)
            else push_signature(
                profile, request.headers, body, self.clock(), self.settings.ad_push_window_seconds
            )
        )
        if isinstance(signature, Rejection):
            return refused(platform, signature)
        replay = f"{platform}:{signature}"
        if self.replays.seen(replay):
            record(platform, DUPLICATE)
            return json_response({"code": 0, "message": "duplicate"}, 200)
        data = parse_json(body)  # type: ignore[arg-type]
        failed = await self._publish(
            ingest, platform, self._clues(profile, data, received_at), received_at
        )
        if failed:
            return failed
        self.replays.remember(replay)
        return json_response({"code": 0, "message": "success"}, 200)

    def _clues(self, profile: Any, data: Any, received_at: datetime) -> list[Draft] | Rejection:
        if isinstance(data, Rejection):
            return data
        secret = self.settings.pii_hmac_secret
        records = data if isinstance(data, list) else [data]
        drafts = []
        for index, item in enumerate(records):
            draft = push_draft(profile, item, received_at, secret)
            if isinstance(draft, Rejection):
                return draft.under(pointer(index)) if isinstance(data, list) else draft
            drafts.append(draft)
        return drafts

    async def _json(self, request: Request, limit: int) -> Any:
        body = await read_raw(request, limit)
        return body if isinstance(body, Rejection) else parse_json(body)


def ads_router(settings: Settings) -> APIRouter:
    """The webhook URLs a marketer pastes into each ad platform's lead settings."""
    router = APIRouter(prefix="/v1/channels/ads", tags=["channels"])
    desk = AdsDesk(settings)

    @router.post("/google")
    async def google_lead(request: Request, ingest: IngestDep) -> Response:
        """Google Ads lead form webhook: one lead, `google_key` in the body."""
        return await desk.google(request, ingest)

    @router.get("/meta", response_class=PlainTextResponse)
    async def meta_verify(request: Request) -> Response:
        """Meta's webhook verification: echo `hub.challenge` for the right verify token."""
        challenge = verify_subscription(request.query_params, settings.meta_verify_token)
        if isinstance(challenge, Rejection):
            return refused("meta", challenge)
        record("meta", "verified")
        return PlainTextResponse(challenge)

    @router.post("/meta")
    async def meta_leads(request: Request, ingest: IngestDep) -> Response:
        """Meta lead ads notifications, signed with X-Hub-Signature-256."""
        return await desk.meta(request, ingest)

    @router.post("/{platform}")
    async def clue_push(platform: str, request: Request, ingest: IngestDep) -> Response:
        """A lead-clue push from a configured profile (oceanengine, tencent, …)."""
        return await desk.push(request, ingest, platform)

    return router

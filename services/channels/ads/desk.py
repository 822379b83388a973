"""Each ad platform's checks in order (size, signature, replay, body), then one way to publish."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import PlainTextResponse

from schemas.events import Channel
from services.channels.ads.google import check_key, google_draft
from services.channels.ads.meta import check_signature as meta_signature
from services.channels.ads.meta import meta_drafts
from services.channels.ads.push import check_signature as push_signature
from services.channels.ads.push import push_drafts
from services.channels.dedupe import RecentIds
from services.channels.delivery import DUPLICATE, deliver, read_raw, refused
from services.channels.drafts import Draft
from services.channels.reasons import NOT_CONFIGURED
from services.channels.telemetry import record
from services.ingest.answers import json_response
from services.ingest.body import parse_storable_json
from services.ingest.envelope import Stamp
from services.ingest.handling import Ingest
from services.ingest.rejections import Rejection
from services.settings import Settings

CHINESE_OK = {"code": 0, "message": "success"}


class AdsDesk:
    """Lead webhooks of every configured platform; `channel` labels are the platform names."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.profiles = {profile.platform: profile for profile in settings.ad_push_profiles}
        self.clock = clock
        self.recent = RecentIds(settings.channel_dedupe_seconds)
        self.replays = RecentIds(2 * settings.ad_push_window_seconds)

    async def _publish(
        self, ingest: Ingest, label: str, drafts: list[Draft] | Rejection, received_at: datetime
    ) -> Rejection | None:
        if isinstance(drafts, Rejection):
            return drafts
        stamp = Stamp(received_at, f"ads-{label}", ingest.hasher)
        outcome = await deliver(ingest, self.recent, Channel.ADS, drafts, stamp)
        if isinstance(outcome, Rejection):
            return outcome
        record(label, outcome)
        return None

    async def google(self, request: Request, ingest: Ingest) -> Response:
        """Google's lead form webhook: `google_key` checked, then one lead; Google wants `{}`."""
        received_at = datetime.now(UTC)
        body = await read_raw(request, self.settings.ingest_max_event_bytes)
        data = body if isinstance(body, Rejection) else parse_storable_json(body)
        denied = (
            data if isinstance(data, Rejection) else check_key(data, self.settings.google_ads_key)
        )
        if denied:
            return refused("google_ads", denied)
        draft = google_draft(data, received_at)
        drafts = [draft] if isinstance(draft, Draft) else draft
        failed = await self._publish(ingest, "google_ads", drafts, received_at)
        return refused("google_ads", failed) if failed else json_response({}, 200)

    async def meta(self, request: Request, ingest: Ingest) -> Response:
        """Meta's leadgen notifications, signed with the app secret."""
        received_at = datetime.now(UTC)
        body = await read_raw(request, self.settings.ingest_max_batch_bytes)
        if isinstance(body, Rejection):
            return refused("meta", body)
        signature = request.headers.get("x-hub-signature-256")
        denied = meta_signature(body, signature, self.settings.meta_app_secret)
        data = denied or parse_storable_json(body)
        if isinstance(data, Rejection):
            return refused("meta", data)
        failed = await self._publish(ingest, "meta", meta_drafts(data, received_at), received_at)
        return refused("meta", failed) if failed else PlainTextResponse("EVENT_RECEIVED")

    async def push(self, request: Request, ingest: Ingest, platform: str) -> Response:
        """A clue push checked against its profile: signature, window, then the replay cache."""
        received_at = datetime.now(UTC)
        profile = self.profiles.get(platform)
        if profile is None:
            message = f"no ad push profile {platform[:40]!r} is configured"
            return refused("unknown", Rejection(NOT_CONFIGURED, "/platform", message, status=404))
        body = await read_raw(request, self.settings.ingest_max_batch_bytes)
        if isinstance(body, Rejection):
            return refused(platform, body)
        window = self.settings.ad_push_window_seconds
        signature = push_signature(profile, request.headers, body, self.clock(), window)
        if isinstance(signature, Rejection):
            return refused(platform, signature)
        replay = f"{platform}:{signature}"
        if self.replays.seen(replay):  # the same signed request again: answered, not re-published
            record(platform, DUPLICATE)
            return json_response({"code": 0, "message": "duplicate"}, 200)
        drafts = self._clues(profile, parse_storable_json(body), received_at)
        failed = await self._publish(ingest, platform, drafts, received_at)
        if failed:
            return refused(platform, failed)
        self.replays.remember(replay)
        return json_response(CHINESE_OK, 200)

    def _clues(self, profile: Any, data: Any, received_at: datetime) -> list[Draft] | Rejection:
        if isinstance(data, Rejection):
            return data
        return push_drafts(profile, data, received_at, self.settings.pii_hmac_secret)

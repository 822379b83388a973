"""Ad-platform lead webhooks (`/v1/channels/ads/{platform}`): Google, Meta, Chinese clue pushes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from services.channels.ads.desk import AdsDesk
from services.channels.ads.meta import verify_subscription
from services.channels.delivery import refused
from services.channels.openapi import CLUES, GOOGLE_LEAD, META_CHECK, META_LEADS
from services.channels.telemetry import record
from services.ingest.openapi_docs import CHANNEL_ANSWERS
from services.ingest.rejections import Rejection
from services.ingest.routes import IngestDep
from services.settings import Settings


def ads_router(settings: Settings) -> APIRouter:
    """The webhook URLs a marketer pastes into each ad platform's lead settings."""
    router = APIRouter(prefix="/v1/channels/ads", tags=["channels"], responses=CHANNEL_ANSWERS)
    desk = AdsDesk(settings)

    @router.post("/google", openapi_extra=GOOGLE_LEAD)
    async def google_lead(request: Request, ingest: IngestDep) -> Response:
        """Google Ads lead form webhook: one lead, `google_key` in the body."""
        return await desk.google(request, ingest)

    @router.get("/meta", response_class=PlainTextResponse, openapi_extra=META_CHECK)
    async def meta_verify(request: Request) -> Response:
        """Meta's webhook verification: echo `hub.challenge` for the right verify token."""
        challenge = verify_subscription(request.query_params, settings.meta_verify_token)
        if isinstance(challenge, Rejection):
            return refused("meta", challenge)
        record("meta", "verified")
        return PlainTextResponse(challenge)

    @router.post("/meta", openapi_extra=META_LEADS)
    async def meta_leads(request: Request, ingest: IngestDep) -> Response:
        """Meta lead ads notifications, signed with X-Hub-Signature-256."""
        return await desk.meta(request, ingest)

    @router.post("/{platform}", openapi_extra=CLUES)
    async def clue_push(platform: str, request: Request, ingest: IngestDep) -> Response:
        """A lead-clue push from a configured profile (oceanengine, tencent, …)."""
        return await desk.push(request, ingest, platform)

    return router

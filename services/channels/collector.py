"""The website collector: its JavaScript snippet, and the beacon endpoint it posts to."""

from __future__ import annotations

from pathlib import Path

import orjson
from fastapi import APIRouter, Request, Response

from services.channels.browsers import PREFLIGHT_HEADERS, Browsers
from services.channels.collector_events import beacon_event, beacon_items
from services.channels.delivery import ACCEPTED, refused
from services.channels.openapi import BEACON
from services.channels.reasons import FORBIDDEN_ORIGIN
from services.channels.telemetry import record
from services.ingest.handling import Endpoint, handle
from services.ingest.openapi_docs import CHANNEL_ANSWERS
from services.ingest.rejections import Rejection
from services.ingest.routes import IngestDep
from services.settings import Settings

CHANNEL = "website"
SNIPPET = (Path(__file__).parent / "collector.js").read_bytes()
ROUTE = "/v1/channels/website/collect"


def _outcome(answer: Response) -> str:
    if answer.status_code == 200:
        return ACCEPTED
    try:
        return str(orjson.loads(answer.body).get("code") or answer.status_code)
    except (orjson.JSONDecodeError, AttributeError):
        return str(answer.status_code)


def collector_router(settings: Settings) -> APIRouter:
    """`collector.js` for the site's pages, and the endpoint its beacons post to."""
    router = APIRouter(prefix="/v1/channels/website", tags=["channels"], responses=CHANNEL_ANSWERS)
    browsers = Browsers(settings.collector_allowed_origins, settings.collector_bot_user_agents)
    one, many = settings.ingest_max_event_bytes, settings.ingest_max_batch_bytes
    # Beacons carry the write key in the body: sendBeacon cannot set an Authorization header.
    endpoint = Endpoint(ROUTE, many, beacon_items(one), beacon_event, True, True, (CHANNEL, None))
    forbidden = Rejection(FORBIDDEN_ORIGIN, "", "this page's origin may not post here", 403)

    @router.get(
        "/collector.js",
        responses={200: {"content": {"text/javascript": {"schema": {"type": "string"}}}}},
    )
    async def snippet() -> Response:
        """The JavaScript snippet the site's pages load."""
        headers = {"Cache-Control": "public, max-age=300"}
        return Response(SNIPPET, media_type="text/javascript; charset=utf-8", headers=headers)

    @router.options("/collect", status_code=204, responses={204: {"description": "Allowed"}})
    async def preflight(request: Request) -> Response:
        """CORS preflight: allowed only for configured origins."""
        if not browsers.origin_allowed(request):
            return refused(CHANNEL, forbidden)
        return Response(
            status_code=204, headers={**browsers.cors_headers(request), **PREFLIGHT_HEADERS}
        )

    @router.post("/collect", openapi_extra=BEACON)
    async def collect(request: Request, ingest: IngestDep) -> Response:
        """A beacon of events (`text/plain` JSON); bots are answered 204 and dropped."""
        if not browsers.origin_allowed(request):
            return refused(CHANNEL, forbidden)
        if browsers.is_bot(request):
            record(CHANNEL, "bot")
            return Response(status_code=204, headers=browsers.cors_headers(request))
        answer = await handle(request, ingest, endpoint)
        record(CHANNEL, _outcome(answer))
        answer.headers.update(browsers.cors_headers(request))
        return answer

    return router

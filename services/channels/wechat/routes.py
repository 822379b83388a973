"""WeChat official account callbacks (`/v1/channels/wechat/{appid}`): URL check and pushes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from schemas.events import Channel
from services.channels.dedupe import RecentIds
from services.channels.delivery import deliver, read_raw, refused
from services.channels.openapi import WECHAT_CHECK, WECHAT_PUSH
from services.channels.reasons import UNKNOWN_ACCOUNT
from services.channels.telemetry import record
from services.channels.wechat.events import draft_of
from services.channels.wechat.push import Account, open_push, verify_url
from services.ingest.envelope import Stamp
from services.ingest.handling import Ingest
from services.ingest.openapi_docs import CHANNEL_ANSWERS
from services.ingest.rejections import Rejection
from services.ingest.routes import IngestDep
from services.settings import Settings, WriteKey

CHANNEL = "wechat"


def _write_key(settings: Settings, name: str) -> WriteKey | None:
    if not name:
        return None
    key = next((key for key in settings.write_keys if key.name == name), None)
    if key is None or CHANNEL not in key.channels:
        raise ValueError(f"WeChat account write_key {name!r}: no such key bound to wechat")
    return key


class WechatInbox:
    """The configured accounts and what a push goes through before WeChat hears `success`."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.accounts = {item.appid: Account.of(item) for item in settings.wechat_accounts}
        self.keys = {
            item.appid: _write_key(settings, item.write_key) for item in settings.wechat_accounts
        }
        self.settings = settings
        self.clock = clock
        self.recent = RecentIds(settings.channel_dedupe_seconds)

    def account(self, appid: str) -> Account | Rejection:
        """The account a callback URL names, or a 404."""
        found = self.accounts.get(appid)
        message = f"no WeChat account {appid[:40]!r} is configured"
        return found or Rejection(UNKNOWN_ACCOUNT, "/appid", message, status=404)

    async def receive(self, request: Request, ingest: Ingest, appid: str) -> Response:
        """Open, map, publish; `success` only once the event is durably in Kafka."""
        received_at = datetime.now(UTC)
        account = self.account(appid)
        if isinstance(account, Rejection):
            return refused(CHANNEL, account)
        body = await read_raw(request, self.settings.ingest_max_event_bytes)
        if isinstance(body, Rejection):
            return refused(CHANNEL, body)
        window = self.settings.wechat_timestamp_window_seconds
        fields = open_push(account, request.query_params, body, self.clock(), window)
        if isinstance(fields, Rejection):
            return refused(CHANNEL, fields)
        limits = (self.settings.wechat_max_content_chars, self.settings.default_phone_region)
        draft = draft_of(fields, appid, *limits)
        if isinstance(draft, Rejection):
            return refused(CHANNEL, draft)
        key = self.keys[appid]
        stamp = Stamp(received_at, key.name if key else f"wechat-{appid}", ingest.hasher)
        # the sender is WeChat's servers, not the follower: the key's limit only
        limited = await ingest.limiter.admit(key, 1, None) if key else None
        outcome = limited or await deliver(ingest, self.recent, Channel.WECHAT, [draft], stamp)
        if isinstance(outcome, Rejection):
            return refused(CHANNEL, outcome)
        record(CHANNEL, outcome)
        return PlainTextResponse("success")


def wechat_router(settings: Settings) -> APIRouter:
    """The callback URL a marketer pastes into each official account's server settings."""
    router = APIRouter(prefix="/v1/channels/wechat", tags=["channels"], responses=CHANNEL_ANSWERS)
    inbox = WechatInbox(settings)

    @router.get("/{appid}", response_class=PlainTextResponse, openapi_extra=WECHAT_CHECK)
    async def verify(appid: str, request: Request) -> Response:
        """WeChat's server URL check: echo `echostr` when signed with the account's token."""
        account = inbox.account(appid)
        echo = (
            account if isinstance(account, Rejection) else verify_url(account, request.query_params)
        )
        if isinstance(echo, Rejection):
            return refused(CHANNEL, echo)
        record(CHANNEL, "verified")
        return PlainTextResponse(echo)

    @router.post("/{appid}", response_class=PlainTextResponse, openapi_extra=WECHAT_PUSH)
    async def push(appid: str, request: Request, ingest: IngestDep) -> Response:
        """One pushed message or event; answered `success` once it is durably in Kafka."""
        return await inbox.receive(request, ingest, appid)

    return router

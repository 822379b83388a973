"""FastAPI application factory for the ingest service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from runtime.http_errors import install_error_format
from runtime.logs import RequestIdMiddleware
from runtime.ops_http import ReadinessCheck, kafka_check, ops_router
from services.channels.ads.routes import ads_router
from services.channels.collector import collector_router
from services.channels.wechat.routes import wechat_router
from services.ingest.auth import KeyRing
from services.ingest.handling import Ingest
from services.ingest.openapi_docs import WRITE_KEY_SCHEMES, install, write_key_security
from services.ingest.publisher import Publisher, create_producer
from services.ingest.ratelimit import Limiter, RateLimiter
from services.ingest.routes import segment_router
from services.ingest.routes_native import crm_router, native_router
from services.ingest.routes_spend import spend_router
from services.ingest.shared_limits import SharedRateLimiter
from services.ingest.telemetry_middleware import MetricsMiddleware
from services.pii import PiiHasher
from services.settings import Settings
from services.vault.keys import warn_if_development_key
from services.vault.sealing import Sealer

__all__ = ["create_app", "create_producer"]

DESCRIPTION = """Behaviour events in, durably in Kafka out.

* **Segment tracking API** (`/v1/track`, `/v1/page`, `/v1/identify`, `/v1/alias`, `/v1/group`,
  `/v1/screen`, `/v1/batch`): point any Segment or RudderStack SDK here; HTTP Basic auth with the
  write key as user name, or `writeKey` in the body.
* **Native API** (`/v1/events`, `/v1/events/batch`) and **CRM** (`/v1/crm/...`): Basic or Bearer.
* **Marketing spend** (`/v1/spend`): a month's spend per channel / campaign, JSON or CSV.

A 2xx means Kafka acknowledged (acks=all). 503 + Retry-After: retry with the same ids.
Every error, of every route (unknown routes too): `{"code", "message", "pointer"}`, the pointer
naming the field (RFC 6901).
Emails and phones are normalised and HMAC-hashed here; raw values never reach Kafka. Contact
details (name, email, phone, company, job title, city) go only sealed (AES-GCM, per person).
"""


def _kafka_ready(publisher: Publisher) -> ReadinessCheck:
    async def check() -> None:
        if publisher.producer is None:
            raise ConnectionError("the producer has not connected to Kafka yet")
        await kafka_check(publisher.producer.client)()

    return check


def rate_limiter(settings: Settings) -> Limiter:
    """Each process's buckets, or windows in PostgreSQL every replica shares (opened lazily:
    ingest starts, and keeps admitting on its own buckets, while PostgreSQL is down)."""
    if settings.ingest_rate_store == "postgres":
        return SharedRateLimiter(settings.database_url, settings.ingest_rate_burst_seconds)
    return RateLimiter(settings.ingest_rate_burst_seconds)


def create_app(settings: Settings) -> FastAPI:
    """Build the ingest app; the producer starts and stops with the app."""
    publisher = Publisher(settings)
    sealer = Sealer(settings)  # its database pool opens on the first contact to seal
    limiter = rate_limiter(settings)
    warn_if_development_key(settings.pii_master_key)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await publisher.start()
        try:
            yield
        finally:
            await publisher.stop()
            await sealer.stop()
            await limiter.stop()

    app = FastAPI(
        title="leadfunnel ingest", version="0.1.0", description=DESCRIPTION, lifespan=lifespan
    )
    app.state.ingest = Ingest(
        keys=KeyRing(settings.write_keys),
        limiter=limiter,
        publisher=publisher,
        hasher=PiiHasher(settings.pii_hmac_secret, settings.default_phone_region),
        sealer=sealer,
    )
    app.state.publisher = publisher
    app.include_router(segment_router(settings))
    app.include_router(native_router(settings))
    app.include_router(crm_router(settings))
    app.include_router(spend_router(settings))
    app.include_router(wechat_router(settings))
    app.include_router(ads_router(settings))
    app.include_router(collector_router(settings))
    # Ingest needs only Kafka: it must keep accepting events while PostgreSQL is down.
    app.include_router(
        ops_router(lambda: {"kafka": _kafka_ready(publisher)}, settings.readiness_timeout_seconds)
    )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)  # outermost: every line of a request carries it
    install(app)
    install_error_format(app, WRITE_KEY_SCHEMES, write_key_security)
    return app

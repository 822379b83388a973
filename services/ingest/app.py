"""FastAPI application factory for the ingest service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from services.ops_http import kafka_check, ops_router
from services.settings import Settings


def create_producer(settings: Settings) -> AIOKafkaProducer:
    """The durable producer: acks from all in-sync replicas, idempotent, orjson bytes in."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        client_id="leadfunnel-ingest",
    )


def create_app(settings: Settings) -> FastAPI:
    """Build the ingest app; the producer starts and stops with the app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        producer = create_producer(settings)
        await producer.start()
        app.state.producer = producer
        try:
            yield
        finally:
            await producer.stop()

    app = FastAPI(title="leadfunnel ingest", version="0.1.0", lifespan=lifespan)
    # Ingest needs only Kafka: it must keep accepting events while PostgreSQL is down.
    app.include_router(
        ops_router(
            lambda: {"kafka": kafka_check(app.state.producer.client)},
            settings.readiness_timeout_seconds,
        )
    )
    return app

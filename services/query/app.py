"""FastAPI application factory for the query service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError
from fastapi import Depends, FastAPI

from alerts.wiring import alerts_config
from alerts.worker.http import health_check_router
from funnel.model.stages import stage_order
from runtime.http_errors import install_error_format
from runtime.logs import RequestIdMiddleware
from runtime.ops_http import kafka_check, ops_router, postgres_check, storable_query
from services.dashboard import dashboard_router
from services.pii import PiiHasher
from services.query import (
    costs_api,
    funnel_api,
    gates_api,
    leads_api,
    people_api,
    performance_api,
    risk_api,
    todos_api,
)
from services.query.auth import ReadAccess
from services.query.telemetry import instrument
from services.settings import Settings
from services.vault.keys import KeyStore, MasterKeys, warn_if_development_key


def create_app(settings: Settings) -> FastAPI:
    """Build the query app; its database pool and Kafka client live as long as the app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # min_size=0 and a tolerant bootstrap: the service starts while PostgreSQL or Kafka is
        # still down and says so on /readyz instead of crashing the whole supervisor.
        # Unqualified table names resolve in the live funnel schema, which a rebuild swaps.
        app.state.pool = await asyncpg.create_pool(
            settings.database_url,
            min_size=0,
            max_size=10,
            server_settings={"search_path": f"{settings.funnel_schema},public"},
        )
        app.state.kafka = AIOKafkaClient(
            bootstrap_servers=settings.kafka_bootstrap, client_id="leadfunnel-query"
        )
        with contextlib.suppress(KafkaError):
            await app.state.kafka.bootstrap()
        try:
            yield
        finally:
            await people_api.close_producer(app.state)
            await app.state.kafka.close()
            await app.state.pool.close()

    app = FastAPI(
        title="leadfunnel query",
        version="0.1.0",
        description="Funnel analytics and lead look-ups from the PostgreSQL read models."
        " Every /v1 route needs a read token: `Authorization: Bearer <token>`. Every error"
        ' (unknown routes and invalid parameters too) is `{"code", "message", "pointer"}`.',
        lifespan=lifespan,
        dependencies=[Depends(storable_query)],
    )
    app.state.settings = settings
    app.state.stage_order = stage_order(settings.sales_stages)
    app.state.hasher = PiiHasher(settings.pii_hmac_secret, settings.default_phone_region)
    masters = MasterKeys.from_settings(settings.pii_master_key, settings.pii_previous_master_keys)
    app.state.keys = KeyStore(masters, cache_seconds=0)  # reads see an erasure at once
    warn_if_development_key(settings.pii_master_key)
    app.include_router(funnel_api.router)
    app.include_router(costs_api.router)
    app.include_router(gates_api.router)
    app.include_router(todos_api.router)
    app.include_router(leads_api.router)
    app.include_router(people_api.router)
    app.include_router(performance_api.router)
    app.include_router(risk_api.router)
    app.include_router(
        health_check_router(alerts_config(settings).checks, dependencies=[ReadAccess])
    )
    app.include_router(dashboard_router(settings))
    instrument(app)
    app.include_router(
        ops_router(
            lambda: {
                "kafka": kafka_check(app.state.kafka),
                "postgres": postgres_check(app.state.pool),
            },
            settings.readiness_timeout_seconds,
        )
    )
    app.add_middleware(RequestIdMiddleware)
    install_error_format(app)
    return app

"""/readyz tells the truth: 503 naming the unreachable dependency, 200 when all answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import httpx
from fastapi import FastAPI

from services.query.app import create_app
from services.settings import Settings
from tests.e2e.conftest import free_port


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_query_service_is_ready_when_kafka_and_postgres_answer(
    kafka_bootstrap: str, database_url: str
) -> None:
    settings = Settings(kafka_bootstrap=kafka_bootstrap, database_url=database_url)
    async with _client(create_app(settings)) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json()["checked"] == ["kafka", "postgres"]


async def test_query_service_names_an_unreachable_database_with_503(
    kafka_bootstrap: str, database_url: str
) -> None:
    parts = urlsplit(database_url)
    netloc = f"{parts.netloc.rsplit('@', 1)[0]}@127.0.0.1:{free_port()}"
    nowhere = urlunsplit(parts._replace(netloc=netloc))
    settings = Settings(kafka_bootstrap=kafka_bootstrap, database_url=nowhere)
    async with _client(create_app(settings)) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert set(answer.json()["failures"]) == {"postgres"}


async def test_query_service_names_an_unreachable_broker_with_503(database_url: str) -> None:
    settings = Settings(
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        database_url=database_url,
        readiness_timeout_seconds=1.0,
    )
    async with _client(create_app(settings)) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert set(answer.json()["failures"]) == {"kafka"}

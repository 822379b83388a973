"""/readyz tells the truth: 503 naming the unreachable dependency, 200 when all answer."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from services.query.app import create_app
from services.settings import Settings
from tests.support.helpers import free_port
from tests.support.ingest import app_client


async def test_query_service_is_ready_when_kafka_and_postgres_answer(
    kafka_bootstrap: str, database_url: str
) -> None:
    settings = Settings(kafka_bootstrap=kafka_bootstrap, database_url=database_url)
    async with app_client(create_app(settings)) as client:
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
    async with app_client(create_app(settings)) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert set(answer.json()["failures"]) == {"postgres"}


async def test_query_service_names_an_unreachable_broker_with_503(database_url: str) -> None:
    settings = Settings(
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        database_url=database_url,
        readiness_timeout_seconds=1.0,
    )
    async with app_client(create_app(settings)) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert set(answer.json()["failures"]) == {"kafka"}

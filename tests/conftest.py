"""Shared fixtures. Kafka and PostgreSQL are real; when missing, tests fail loudly, never skip."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import asyncpg
import pytest

from runtime.kafka_admin import ensure_topics, wait_for_broker
from runtime.migrations import apply_migrations
from schemas.topics import ALL_TOPICS
from services.settings import Settings


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """Settings as the environment gives them (defaults: the local dev stack)."""
    return Settings()


@pytest.fixture(scope="session")
def kafka_bootstrap(base_settings: Settings) -> str:
    """The real broker's address; fails the test when no broker answers."""
    try:
        wait_for_broker(base_settings.kafka_bootstrap, timeout=15)
    except TimeoutError as error:
        pytest.fail(f"Kafka is required (start it with `make up`): {error}", pytrace=False)
    return base_settings.kafka_bootstrap


@pytest.fixture
def unique() -> str:
    """A short unique token for topic names, group ids and database names."""
    return uuid.uuid4().hex[:10]


def drop_topics(bootstrap: str, prefix: str) -> None:
    """Delete every topic under a test's prefix, so a long run keeps the broker's metadata small."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        doomed = [topic for topic in admin.list_topics() if topic.startswith(prefix)]
        if doomed:
            admin.delete_topics(doomed, timeout_ms=30000)
    finally:
        admin.close()


@pytest.fixture
def topic_factory(kafka_bootstrap: str, unique: str) -> Iterator[Callable[..., str]]:
    """Create a fresh topic for one test: `topic_factory("name", partitions=1)`."""
    from kafka.admin import KafkaAdminClient

    def create(name: str = "t", partitions: int = 1, compact: bool = False) -> str:
        topic = f"test.{unique}.{name}"
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        try:
            configs = {"cleanup.policy": "compact" if compact else "delete"}
            admin.create_topics(
                {
                    topic: {
                        "num_partitions": partitions,
                        "replication_factor": 1,
                        "configs": configs,
                    }
                },
                wait_for_metadata=True,
            )
        finally:
            admin.close()
        return topic

    yield create
    drop_topics(kafka_bootstrap, f"test.{unique}.")


@pytest.fixture
def isolated_settings(kafka_bootstrap: str, unique: str, database_url: str) -> Iterator[Settings]:
    """Settings with their own topic prefix (all declared topics created) and database."""
    prefix = f"test.{unique}."
    ensure_topics(kafka_bootstrap, ALL_TOPICS, prefix, partitions=2, replication=1)
    yield Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        topic_partitions=2,
        database_url=database_url,
    )
    drop_topics(kafka_bootstrap, prefix)


async def _connect_admin(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL is required (start it with `make up`): {error!r}", pytrace=False)


@pytest.fixture(scope="session")
async def database_url(base_settings: Settings) -> AsyncIterator[str]:
    """A fresh database for this test session, migrated; dropped afterwards."""
    admin_url = base_settings.database_url
    name = f"lf_test_{uuid.uuid4().hex[:10]}"
    admin = await _connect_admin(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    apply_migrations(url)
    yield url
    admin = await _connect_admin(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def pg(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the session's migrated test database."""
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()

"""Topics are created from their declarations; the migrated schema answers over asyncpg."""

from __future__ import annotations

import asyncpg
from kafka.admin import KafkaAdminClient

from runtime.kafka_admin import ensure_topics
from runtime.migrations import apply_migrations
from schemas.topics import ALL_TOPICS, LEAD_SCORES, RAW_EVENTS
from tests.conftest import drop_topics


def _config(admin: KafkaAdminClient, topic: str) -> dict[str, str]:
    from kafka.admin import ConfigResource, ConfigResourceType

    result = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    return {name: entry["value"] for name, entry in result["topic"][topic].items()}


def test_declared_topics_are_created_once_with_their_cleanup_policy(
    kafka_bootstrap: str, unique: str
) -> None:
    prefix = f"test.{unique}."

    created = ensure_topics(kafka_bootstrap, ALL_TOPICS, prefix, partitions=3, replication=1)
    try:
        _check_declared_topics(kafka_bootstrap, prefix, created)
    finally:
        drop_topics(kafka_bootstrap, prefix)


def _check_declared_topics(kafka_bootstrap: str, prefix: str, created: list[str]) -> None:
    again = ensure_topics(kafka_bootstrap, ALL_TOPICS, prefix, partitions=3, replication=1)

    assert sorted(created) == sorted(spec.name(prefix) for spec in ALL_TOPICS)
    assert again == []
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = {t["name"]: t for t in admin.describe_topics([RAW_EVENTS.name(prefix)])}
        assert len(described[RAW_EVENTS.name(prefix)]["partitions"]) == 3
        assert _config(admin, LEAD_SCORES.name(prefix))["cleanup.policy"] == "compact"
        assert _config(admin, RAW_EVENTS.name(prefix))["retention.ms"] == "-1"
    finally:
        admin.close()


async def test_asyncpg_round_trip_against_migrated_schema(pg: asyncpg.Connection) -> None:
    await pg.execute(
        "INSERT INTO projection_positions (projector, topic, partition, next_offset)"
        " VALUES ($1, $2, $3, $4)",
        "test",
        "t",
        0,
        42,
    )
    row = await pg.fetchrow(
        "SELECT next_offset FROM projection_positions WHERE projector = 'test' AND topic = 't'"
    )
    assert row is not None and row["next_offset"] == 42
    applied = await pg.fetchval("SELECT count(*) FROM _yoyo_migration")
    assert applied >= 1


def test_migrations_are_idempotent(database_url: str) -> None:
    assert apply_migrations(database_url) == []

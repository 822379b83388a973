"""Creating the scoring worker's topics from their declarations, partitioned like events.raw."""

from __future__ import annotations

from kafka.admin import KafkaAdminClient

from runtime.kafka_admin import ensure_topics
from schemas.topics import ALL_TOPICS, RAW_EVENTS
from scoring.worker.config import ScoringConfig
from scoring.worker.topics import INTERNAL_TOPICS, NURTURE, app_id


def partition_counts(bootstrap: str, names: list[str]) -> dict[str, int]:
    """How many partitions each existing topic has."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        described = admin.describe_topics(names)
    finally:
        admin.close()
    return {item["name"]: len(item["partitions"]) for item in described if item["partitions"]}


def prepare_topics(config: ScoringConfig) -> int:
    """Create the declared topics that are missing; the internal ones like events.raw's."""
    raw = RAW_EVENTS.name(config.topic_prefix)
    ensure_topics(
        config.kafka_bootstrap,
        [*ALL_TOPICS, NURTURE],
        config.topic_prefix,
        config.topic_partitions,
        config.topic_replication,
    )
    partitions = partition_counts(config.kafka_bootstrap, [raw])[raw]
    internal = app_id(config.topic_prefix, config.generation)
    ensure_topics(
        config.kafka_bootstrap, INTERNAL_TOPICS, internal, partitions, config.topic_replication
    )
    names = [spec.name(internal) for spec in INTERNAL_TOPICS]
    counts = partition_counts(config.kafka_bootstrap, names)
    wrong = {name: n for name, n in counts.items() if n != partitions}
    if wrong:
        raise SystemExit(f"scoring: {raw} has {partitions} partitions but {wrong}; they must match")
    return partitions

"""Reading topics back in tests: every partition of a topic, every record on it now."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.topics import ALERTS
from services.settings import Settings


async def partitions(settings: Settings, topics: list[str]) -> list[TopicPartition]:
    """Every partition of the topics (the producer's metadata call waits for them)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        return [TopicPartition(t, p) for t in topics for p in await producer.partitions_for(t)]
    finally:
        await producer.stop()


async def read_topic(settings: Settings, suffix_spec: Any = ALERTS) -> list[tuple[bytes, Any]]:
    """Every (key, value) on a topic now, from the beginning to the current end, each partition
    in order (`suffix_spec`: a topic spec of `schemas.topics`, or a topic's whole name)."""
    name = suffix_spec if isinstance(suffix_spec, str) else suffix_spec.name(settings.topic_prefix)
    tps = await partitions(settings, [name])
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[tuple[bytes, Any]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records += [(m.key, m.value) for m in batch]
        return records
    finally:
        await consumer.stop()

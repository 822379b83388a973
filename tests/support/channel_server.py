"""Helpers for the channel integration tests (no tests here): one server, a watch on the topic."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
from kafka import KafkaConsumer, TopicPartition

from schemas.topics import RAW_EVENTS
from services.settings import Settings
from tests.support.channels import channel_settings
from tests.support.ingest import own_topics, running_ingest


@contextmanager
def channel_server(kafka_bootstrap: str, **changes: Any) -> Iterator[tuple[Settings, httpx.Client]]:
    """The real ingest app, every channel configured, on its own topics."""
    settings = channel_settings(own_topics(kafka_bootstrap), **changes)
    with (
        running_ingest(settings) as base_url,
        httpx.Client(base_url=base_url, timeout=20) as client,
    ):
        yield settings, client


class TopicWatch:
    """What the raw events topic gained since the watch started."""

    def __init__(self, settings: Settings) -> None:
        topic = RAW_EVENTS.name(settings.topic_prefix)
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
        )
        partitions = self.consumer.partitions_for_topic(topic) or set()
        assert partitions, f"topic {topic} does not exist"
        self.partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        self.consumer.assign(self.partitions)
        self.start = self.consumer.end_offsets(self.partitions)

    def nothing_new(self) -> bool:
        """True when no record was appended (answers come after acks, so no wait is needed)."""
        return bool(self.consumer.end_offsets(self.partitions) == self.start)

    def new(self, count: int, timeout: float = 15) -> list[Any]:
        """Exactly the records appended since the start; fails unless `count` arrive."""
        for partition, offset in self.start.items():
            self.consumer.seek(partition, offset)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        end = self.consumer.end_offsets(self.partitions)
        expected = sum(end[p] - self.start[p] for p in self.partitions)
        while len(records) < max(count, expected) and time.monotonic() < deadline:
            for batch in self.consumer.poll(timeout_ms=300).values():
                records.extend(batch)
        assert len(records) == count, f"{len(records)} records appended, expected {count}"
        return records

    def events(self, count: int) -> list[dict[str, Any]]:
        """The appended records' values as JSON."""
        return [orjson.loads(record.value) for record in self.new(count)]

    def close(self) -> None:
        """Close the consumer."""
        self.consumer.close()

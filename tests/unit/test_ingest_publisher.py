"""The publisher's record batches: every event once, each partition's events in request order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch

from schemas.events import event_json
from services.ingest.envelope import Stamp
from services.ingest.native import native_event
from services.ingest.publisher import Publisher, partition_for
from services.pii import PiiHasher
from services.settings import Settings

STAMP = Stamp(datetime(2026, 11, 27, tzinfo=UTC), "k", PiiHasher("s"))
PARTITIONS = [0, 1, 2, 3]


class FakeProducer:
    """Just what batching asks of aiokafka: the topic's partitions and which are available."""

    def __init__(self) -> None:
        cluster = SimpleNamespace(available_partitions_for_topic=lambda topic: set(PARTITIONS))
        self.client = SimpleNamespace(cluster=cluster)

    async def partitions_for(self, topic: str) -> set[int]:
        return set(PARTITIONS)


def _event(index: int) -> Any:
    body = {
        "event_id": f"e-{index}",
        "type": "page_viewed",
        "channel": "website",
        "identities": {"anonymous_id": f"a-{index % 7}"},
        "properties": {"url": f"https://example.cn/{index}"},
    }
    return native_event(body, STAMP)


def _records(batch: BatchBuilder) -> list[tuple[bytes, bytes]]:
    return [(record.key, record.value) for record in DefaultRecordBatch(bytes(batch._build()))]


def test_batches_hold_every_event_once_in_order_on_its_keys_partition() -> None:
    events = [_event(index) for index in range(120)]
    publisher = Publisher(Settings())
    publisher.batch_bytes = 4096
    batches = asyncio.run(publisher._batches(FakeProducer(), events))  # type: ignore[arg-type]
    assert len(batches) > len(PARTITIONS)  # small batches: several per partition
    sent: dict[int, list[tuple[bytes, bytes]]] = {}
    for partition, batch in batches:
        sent.setdefault(partition, []).extend(_records(batch))
    for partition in PARTITIONS:
        expected = [
            (key, event_json(event))
            for event in events
            if partition_for(key := event.identities.strongest().encode(), PARTITIONS, PARTITIONS)
            == partition
        ]
        assert sent.get(partition, []) == expected

"""The publisher's records: every event once, each partition's events in request order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from aiokafka.partitioner import murmur2
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch
from hypothesis import given
from hypothesis import strategies as st

from schemas.events import event_json
from services.ingest.envelope import Stamp
from services.ingest.native import native_event
from services.ingest.publisher import Publisher, event_records, murmur2_of, partition_for
from services.pii import PiiHasher
from services.settings import Settings

STAMP = Stamp(datetime(2026, 11, 27, tzinfo=UTC), "k", PiiHasher("s"))
PARTITIONS = [0, 1, 2, 3]


class FakeProducer:
    """What publishing asks of aiokafka; records which way each partition's records went."""

    def __init__(self) -> None:
        cluster = SimpleNamespace(available_partitions_for_topic=lambda topic: set(PARTITIONS))
        self.client = SimpleNamespace(cluster=cluster)
        self.sent: dict[int, list[tuple[bytes, bytes]]] = {}
        self.ways: dict[int, set[str]] = {}

    async def partitions_for(self, topic: str) -> set[int]:
        return set(PARTITIONS)

    async def send(self, topic: str, value: bytes, key: bytes, **kwargs: Any) -> Any:
        self._note(kwargs["partition"], "send", [(key, value)])
        return asyncio.get_running_loop().create_future()

    async def send_batch(self, batch: BatchBuilder, topic: str, *, partition: int) -> Any:
        records = DefaultRecordBatch(bytes(batch._build()))
        self._note(partition, "send_batch", [(record.key, record.value) for record in records])
        return asyncio.get_running_loop().create_future()

    def _note(self, partition: int, way: str, records: list[tuple[bytes, bytes]]) -> None:
        self.sent.setdefault(partition, []).extend(records)
        self.ways.setdefault(partition, set()).add(way)


def _event(index: int, url_bytes: int = 20) -> Any:
    body = {
        "event_id": f"e-{index}",
        "type": "page_viewed",
        "channel": "website",
        "identities": {"anonymous_id": f"a-{index % 7}"},
        "properties": {"url": f"https://example.cn/{index}/" + "p" * url_bytes},
    }
    return native_event(body, STAMP)


def _publish(events: list[Any], batch_bytes: int) -> FakeProducer:
    publisher, producer = Publisher(Settings()), FakeProducer()
    publisher.batch_bytes = batch_bytes

    async def run() -> None:
        futures: list[asyncio.Future[object]] = []
        topic = publisher.topic
        records = event_records(events)
        shares = await publisher._by_partition(producer, topic, records)  # type: ignore[arg-type]
        for partition, share in shares.items():
            await publisher._send(producer, topic, partition, share, futures)  # type: ignore[arg-type]

    asyncio.run(run())
    return producer


def _expected(events: list[Any], partition: int) -> list[tuple[bytes, bytes]]:
    keys = [(event.identities.strongest().encode(), event) for event in events]
    return [
        (key, event_json(event))
        for key, event in keys
        if partition_for(key, PARTITIONS, PARTITIONS) == partition
    ]


def test_large_shares_go_as_record_batches_every_event_once_in_order() -> None:
    events = [_event(index, url_bytes=1000) for index in range(120)]
    producer = _publish(events, batch_bytes=4096)  # several batches per partition
    for partition in PARTITIONS:
        assert producer.sent.get(partition, []) == _expected(events, partition)
        assert producer.ways[partition] == {"send_batch"}


def test_small_shares_join_the_producers_own_batches() -> None:
    events = [_event(index) for index in range(8)]
    producer = _publish(events, batch_bytes=4096)
    for partition in producer.sent:
        assert producer.sent[partition] == _expected(events, partition)
        assert producer.ways[partition] == {"send"}


@given(st.binary(max_size=300))
def test_murmur2_hashes_like_aiokafkas(data: bytes) -> None:
    assert murmur2_of(data) == murmur2(data)

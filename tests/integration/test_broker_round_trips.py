"""The broker is real: produce/consume round trips with both client libraries, offsets survive."""

from __future__ import annotations

from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def _consume(bootstrap: str, topic: str, group: str, count: int) -> list[bytes]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=15000,
    )
    values: list[bytes] = []
    try:
        for record in consumer:
            values.append(record.value)
            if len(values) == count:
                consumer.commit()
                break
    finally:
        consumer.close()
    return values


def test_kafka_python_idempotent_producer_round_trip(
    kafka_bootstrap: str, topic_factory: Callable[..., str], unique: str
) -> None:
    topic = topic_factory("kp")
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True)
    sent = [f"kafka-python {i}".encode() for i in range(20)]
    for value in sent:
        producer.send(topic, key=b"lead-1", value=value)
    producer.flush(timeout=15)
    producer.close()

    assert _consume(kafka_bootstrap, topic, f"g-{unique}", len(sent)) == sent


async def test_aiokafka_idempotent_producer_round_trip(
    kafka_bootstrap: str, topic_factory: Callable[..., str], unique: str
) -> None:
    topic = topic_factory("aio", partitions=3)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        metadata = [
            await producer.send_and_wait(topic, key=f"k{i}".encode(), value=f"v{i}".encode())
            for i in range(9)
        ]
    finally:
        await producer.stop()
    assert all(record.offset >= 0 for record in metadata)

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"g-{unique}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=10000, max_records=100)
        received = {record.value for records in batches.values() for record in records}
        while len(received) < 9:
            more = await consumer.getmany(timeout_ms=5000)
            if not more:
                break
            received |= {record.value for records in more.values() for record in records}
    finally:
        await consumer.stop()
    assert received == {f"v{i}".encode() for i in range(9)}


def test_committed_group_offset_survives_consumer_restart(
    kafka_bootstrap: str, topic_factory: Callable[..., str], unique: str
) -> None:
    topic = topic_factory("offsets")
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for i in range(10):
        producer.send(topic, value=str(i).encode())
    producer.flush(timeout=15)
    producer.close()
    group = f"g-{unique}"

    first = _consume(kafka_bootstrap, topic, group, 4)
    second = _consume(kafka_bootstrap, topic, group, 6)

    assert first == [str(i).encode() for i in range(4)]
    assert second == [str(i).encode() for i in range(4, 10)]
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group)
    try:
        assert consumer.committed(TopicPartition(topic, 0)) == 10
    finally:
        consumer.close()

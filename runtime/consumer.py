"""What every consumer whose positions live in PostgreSQL shares: clients, seeking, poison.

The projector and the alerts worker read the lead topics with Kafka's offsets ignored: each
commits its writes and its positions (`runtime.positions`) in one transaction per batch, resumes
from those positions, and passes over a record the database or its fold refuses by
dead-lettering it and storing the position past it in one more transaction
(`runtime.poison.isolate` finds that record). This module holds those shared steps; each
consumer keeps only what it folds and how it orders its input.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from runtime import poison
from runtime.poison import Poisoned
from runtime.positions import Connection, load_positions, save_positions


def log_consumer(bootstrap: str, client_id: str, **group: Any) -> AIOKafkaConsumer:
    """A consumer of committed records only, offsets never auto-committed (the database is).

    `group`: group_id and its timeouts for a consumer group; none to assign partitions by hand.
    """
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        **group,
    )


def dead_letter_producer(bootstrap: str) -> AIOKafkaProducer:
    """An idempotent producer waiting for every replica: a dead letter must not be lost."""
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)


async def seek_to(consumer: AIOKafkaConsumer, targets: Mapping[TopicPartition, int | None]) -> None:
    """Read on from these positions (None: from the beginning), asking the broker once."""
    unknown = [tp for tp, offset in targets.items() if offset is None]
    beginnings = await consumer.beginning_offsets(unknown) if unknown else {}
    for tp, offset in targets.items():
        consumer.seek(tp, beginnings[tp] if offset is None else offset)


async def pass_over(
    conn: Connection,
    producer: AIOKafkaProducer,
    *,
    positions_of: str,
    consumer: str,
    dead_letters: str,
    record: Poisoned,
    ours: Callable[[int | None], bool],
) -> tuple[bool, int | None]:
    """Dead-letter a refused record and store the position past it, in the caller's transaction.

    Only if its partition's stored position is still what the caller expects (`ours`): another
    writer (a second instance, a rebuild's swap) may have moved it, and then the database wins.
    Returns whether the record was passed over, and the stored position found.
    """
    key = (record.topic, record.partition)
    stored = (await load_positions(conn, positions_of)).get(key)
    if not ours(stored):
        return False, stored
    await poison.publish(producer, dead_letters, [record], consumer, "refused")
    await save_positions(conn, positions_of, {key: record.offset + 1})
    return True, stored


# Failures a later batch can get past: the broker or the database away for a while. Anything
# else (a bug) ends the process, and its supervisor restarts it from the stored positions.
TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    KafkaError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


async def run_batches(
    stop: asyncio.Event,
    beat: Callable[[], None],
    once: Callable[[], Awaitable[object]],
    recover: Callable[[], Awaitable[object]],
    log: logging.Logger,
) -> None:
    """Run `once` (one batch) until `stop` is set; after a transient failure wait, `recover`.

    Nothing of a failed batch was committed, so `recover` only has to put the consumer back at
    the stored positions (or reconnect); the next turn reads the batch again. `beat` is called
    every turn (the liveness probe's heartbeat).
    """
    while not stop.is_set():
        beat()
        try:
            await once()
        except TRANSIENT as error:
            log.error("batch failed, retrying from the stored positions: %r", error)
            await asyncio.sleep(1)
            await recover()

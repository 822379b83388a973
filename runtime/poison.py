"""Poison records: which failures retrying cannot fix, and finding the one record that fails.

The projector and the alerts worker write a batch of records in one transaction. When PostgreSQL
refuses the batch for something in the data (a U+0000 in a string, a number out of range, a
constraint), retrying the same batch fails forever and the read models freeze. `isolate` splits
such a batch until the failing record stands alone; the caller dead-letters it and skips it,
and every other record of the batch is written as usual. Connection loss, a database that is
down or a missing table are not the records' fault: they propagate and are retried as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from schemas.outgoing import DeadLetter

log = logging.getLogger("leadfunnel.poison")
T = TypeVar("T")

# Errors in the data of a record: retrying the same bytes gives the same error.
_DATA_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.DataError,  # SQLSTATE class 22, and asyncpg's own "invalid input for query argument"
    asyncpg.IntegrityConstraintViolationError,  # class 23
    ValueError,  # includes UnicodeError and pydantic's ValidationError
    TypeError,
    OverflowError,
    ArithmeticError,
    LookupError,
    RecursionError,
)

DEAD_LETTERS = Counter(
    "leadfunnel_consumer_dead_letters_total",
    "Source records a consumer could not process and sent to the dead-letter topic",
    ("consumer", "reason"),  # reason: undecodable | refused (by the database or the fold)
)


@dataclass(frozen=True, slots=True)
class Poisoned:
    """A record retrying cannot fix, with where it came from and why."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    reason: str
    field: str | None = None


def is_permanent(error: BaseException) -> bool:
    """True when the error lies in the data, so the same records will fail again."""
    return isinstance(error, _DATA_ERRORS)


def describe(error: BaseException) -> str:
    """A short reason for the dead letter: the error's kind and its first line."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:500] if text else type(error).__name__


async def isolate(
    items: Sequence[T],
    attempt: Callable[[Sequence[T]], Awaitable[object]],
    poisoned: Callable[[T, BaseException], Awaitable[object]],
) -> int:
    """Write `items` by halves until each failing item stands alone; returns how many failed.

    `attempt` writes a contiguous run of items (in order) or raises; `poisoned` is called for an
    item that fails on its own with a permanent error. Items keep their order, so positions
    advance monotonically. Transient errors propagate at once.
    """
    try:
        await attempt(items)
        return 0
    except BaseException as error:
        if not is_permanent(error):
            raise
        if len(items) == 1:
            log.warning("poison record isolated: %s", describe(error))
            await poisoned(items[0], error)
            return 1
    middle = len(items) // 2
    return await isolate(items[:middle], attempt, poisoned) + await isolate(
        items[middle:], attempt, poisoned
    )


def dead_letter(record: Poisoned, consumer: str) -> DeadLetter:
    """The dead-letter message of a poisoned record, naming its source position and consumer."""
    return DeadLetter(
        source=record.topic,
        partition=record.partition,
        offset=record.offset,
        reason=f"{consumer}: {record.reason}",
        field=record.field,
        payload=(record.value or b"").decode("utf-8", errors="replace"),
        failed_at=datetime.now(UTC),
    )


async def publish(
    producer: AIOKafkaProducer, topic: str, records: Sequence[Poisoned], consumer: str, reason: str
) -> None:
    """Send dead letters and wait for the broker, so none is lost once positions move past them.

    `reason` is the metric label: `undecodable` (the bytes do not fit the contract) or `refused`
    (the database or the fold refused a record that decoded).
    """
    if not records:
        return
    sent = []
    for record in records:
        log.warning(
            "dead letter %s[%d]@%d (%s): %s",
            record.topic,
            record.partition,
            record.offset,
            consumer,
            record.reason,
        )
        letter = dead_letter(record, consumer)
        sent.append(
            await producer.send(topic, letter.model_dump_json().encode(), key=record.topic.encode())
        )
    await asyncio.gather(*sent)
    DEAD_LETTERS.labels(consumer, reason).inc(len(records))

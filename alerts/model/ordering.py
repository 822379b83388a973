"""Event-time merge of the detector's partitions: a record is folded only when no partition can
still bring an earlier one, so the outcome never depends on how fetches split the topics."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from alerts.model.signals import Signal

K = TypeVar("K", bound=Hashable)
SortKey = tuple[datetime, int]


@dataclass(frozen=True, slots=True)
class Held:
    """A decoded record waiting for its turn; `key` None when it carries no signal."""

    offset: int
    signals: tuple[Signal, ...]
    value: bytes | None = None  # the record's bytes, for a dead letter should the fold refuse it
    undecodable: str | None = None  # why it did not decode: dead-lettered when it is committed

    @property
    def key(self) -> SortKey | None:
        """Its earliest (event time, signal order); the fold's own order within an instant."""
        return min(((s.at, s.order) for s in self.signals), default=None)


@dataclass(frozen=True, slots=True)
class Released(Generic[K]):
    """Signals to fold now (in this order), what stays held, and the positions they free.

    `records` are the released records themselves, in release order, each with its partition:
    folding their signals in that order is folding `signals`.
    """

    signals: list[Signal]
    held: dict[K, list[Held]]
    positions: dict[K, int]
    records: list[tuple[K, Held]] = field(default_factory=list)


def release(
    held: Mapping[K, Sequence[Held]], partitions: Sequence[K], settled: Collection[K]
) -> Released[K]:
    """Merge the partitions' held records by event time, as far as every partition allows.

    The earliest head goes first (ties: the fold's signal order, then `partitions` order), but
    only while every partition either holds a record or is `settled` (read to its end): an
    empty partition that is still behind may yet deliver something earlier.
    """
    queues = {key: deque(held.get(key, ())) for key in partitions}
    rank = {key: i for i, key in enumerate(partitions)}
    signals: list[Signal] = []
    positions: dict[K, int] = {}
    records: list[tuple[K, Held]] = []
    while True:
        for key, queue in queues.items():  # a record without signals orders nothing
            while queue and queue[0].key is None:
                empty = queue.popleft()
                positions[key] = empty.offset + 1
                records.append((key, empty))
        if any(not queue and key not in settled for key, queue in queues.items()):
            break
        heads = [(queue[0].key, rank[key], key) for key, queue in queues.items() if queue]
        if not heads:
            break
        _, _, first = min(heads, key=lambda head: (head[0], head[1]))
        record = queues[first].popleft()
        signals += record.signals
        positions[first] = record.offset + 1
        records.append((first, record))
    return Released(signals, {k: list(q) for k, q in queues.items() if q}, positions, records)

"""The agents' intake: fetched records handed to a batch loop in bulk, without Faust's streams.

Stock Faust delivers every record through its fetch loop's race against flow control (four asyncio
tasks and an `asyncio.wait` per record), the conductor's decoding into an `Event`, a channel queue
and the stream's iterator and take buffer: ≈ 80–100 µs of CPU per record and hop on this machine,
more than the scoring itself (docs/benchmarks.md, "One intake per agent"). The worker's inputs are
raw bytes, so none of that is needed: `Consumer._drain_messages` (scoring/worker/faust_fixes.py)
appends each record of an intake's topics to that intake, and the agent takes what is there in
one list. The buffer also fills while a batch is being stored, so batches grow with the load
instead of being what arrived within one short wait.

What Faust's streams did per record is kept where it matters: a record is tracked as unacked once
taken (a rebalance waits for it) and acked when its batch is done (only then can its offset be
committed); records of an older consumer generation are dropped, not handed over (the new
assignment reads them again from the committed offset); a rebalance clears the buffer, as it
clears Faust's queues (the app's flow control manages it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

HEADROOM = 4  # batches an intake buffers before the fetch loop waits for the agent


class Intake:
    """The records fetched for one agent's topics, waiting to be taken as a batch."""

    def __init__(self, app: Any, topics: Sequence[str], batch_size: int) -> None:
        self.app, self.topics, self.batch_size = app, tuple(topics), batch_size
        self.capacity = HEADROOM * batch_size
        self._records: list[Any] = []
        self._arrived = asyncio.Event()  # something to take
        self._filled = asyncio.Event()  # a whole batch to take
        self._room = asyncio.Event()  # below capacity: the fetch loop may add
        self._room.set()
        app.flow_control.manage_queue(self)  # cleared with Faust's queues on a rebalance

    def __len__(self) -> int:
        return len(self._records)

    def full(self) -> bool:
        return len(self._records) >= self.capacity

    async def wait_for_room(self) -> None:
        await self._room.wait()

    def put(self, message: Any) -> None:
        """A fetched record (the fetch loop checks `full()` first)."""
        self._records.append(message)
        self._arrived.set()
        if len(self._records) >= self.batch_size:
            self._filled.set()
        if len(self._records) >= self.capacity:
            self._room.clear()

    def clear(self) -> None:
        """Forget what was fetched (a rebalance: the new assignment fetches it again)."""
        self._records.clear()
        self._settle()

    async def take(self, within: float) -> list[Any]:
        """The next batch: up to `batch_size` records, waiting up to `within` s to fill one."""
        while True:
            await self._arrived.wait()
            if not self._filled.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._filled.wait(), within)
            batch = self._records[: self.batch_size]
            del self._records[: self.batch_size]
            self._settle()
            batch = self._current(batch)
            if batch:
                return batch

    def _settle(self) -> None:
        n = len(self._records)
        for event, on in (
            (self._arrived, n > 0),
            (self._filled, n >= self.batch_size),
            (self._room, n < self.capacity),
        ):
            if on:
                event.set()
            else:
                event.clear()

    def _current(self, batch: list[Any]) -> list[Any]:
        """The records still of this assignment, tracked as unacked from now on."""
        app = self.app
        if not app.flow_control.is_active():
            return []
        generation = app.consumer_generation_id
        current = [m for m in batch if m.generation_id == generation]
        track = app.consumer.track_message
        for message in current:
            message.tracked = True
            track(message)
        return current

    def done(self, batch: Sequence[Any]) -> None:
        """Ack a finished batch: its offsets may now be committed."""
        ack = self.app.consumer.ack
        for message in batch:
            ack(message)

    def drop(self, batch: Sequence[Any]) -> None:
        """Forget a batch that was not stored: untracked and unacked, it is read again."""
        unacked = self.app.consumer._unacked_messages  # what `track_message` added them to
        for message in batch:
            unacked.discard(message)

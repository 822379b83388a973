"""Where the scoring worker's Faust differs from stock faust-streaming: three fixes, each of which
lost input records for good after a restart or a rebalance (seen as leads short of one event's
points, a stuck scale-out test, raw events never resolved).

1. Queues kept on a resume that resumes nothing (`App.flow_control`). Faust's recovery resumes
   the flow to read the changelogs, then, once the tables are recovered, resumes the stream
   partitions, awaits a seek to the committed offsets, and calls `flow_control.resume()` again.
   While that seek is awaited, records already flow into the agents' queues, and that second
   resume clears every queue. The fetcher had recorded those records as read, so they were never
   fetched again. A resume now clears the queues only when the flow was actually suspended (a
   rebalance), which is when their contents are stale.
2. No offsets acked on faith (`Consumer._add_gap`, `_new_offset`). When the fetcher sees an
   offset jump, Faust records the skipped range as a "gap" and later commits over it as if it had
   been processed; and it commits past the record at the committed offset when only that one
   record is missing. Gaps are needed for transactional topics (their control records take
   offsets) and nothing else: none of the worker's input topics is compacted, and under
   `at_least_once` none carries transaction markers. There a jump means records went missing
   between the fetch and the agent (fix 1's case), and committing over them turned a local slip
   into a permanent loss. Outside transactions a commit now covers only offsets an agent
   finished, and a jump is logged: the records are read again after the next restart. For the
   jump check to mean anything, a seek to the committed offsets no longer rewinds the "last read"
   marks (the fetcher may have delivered well past them while the seek was awaited); it clears
   them, so the next record of each partition is taken as it comes.
3. Uncommitted partitions read from their beginning (`seek_to_committed`). Faust drops the records
   it has fetched but not yet handed to an agent when the consumer generation changes, then
   seeks every partition back to its committed offset. aiokafka leaves a partition with no
   committed offset where it is, past the dropped records. Such a partition now goes to its
   earliest record, which is what `consumer_auto_offset_reset="earliest"` means.

What is read twice after any of these is deduplicated like any redelivery (docs/scoring.md).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from typing import Any

import faust
from aiokafka import TopicPartition
from faust.transport.drivers import aiokafka as driver
from mode.utils.objects import cached_property
from mode.utils.queues import FlowControlEvent

from scoring.worker.intake import Intake

log = logging.getLogger("scoring")
CHANGELOG_SUFFIX = "-changelog"  # table changelogs: positioned by Faust's recovery, not by us


class FlowControl(FlowControlEvent):
    """Flow control whose resume clears the queues only when the flow was suspended (fix 1)."""

    def resume(self) -> None:
        if self.is_active():
            return  # nothing was suspended: the queued records are current, keep them
        super().resume()


class App(faust.App):
    """The Faust app with all three fixes: its flow control (1) and its transport (2, 3).

    Its fetch loop also hands the records of the agents' topics to their intakes in bulk
    (scoring/worker/intake.py) rather than through Faust's streams.
    """

    @cached_property
    def flow_control(self) -> FlowControlEvent:
        return FlowControl(loop=self.loop)

    @functools.cached_property
    def intakes(self) -> dict[str, Intake]:
        """Topic name → the intake its records go to instead of Faust's streams (intake.py)."""
        return {}

    def _new_transport(self) -> driver.Transport:
        return Transport(self.conf.broker_consumer, self)


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    async def seek_to_committed(self) -> Mapping[Any, int]:
        return await self.call_thread(self._seek_to_committed_or_earliest)  # type: ignore[no-any-return]

    async def _seek_to_committed_or_earliest(self) -> Mapping[TopicPartition, int]:
        consumer = self._ensure_consumer()
        committed: Mapping[TopicPartition, int] = await consumer.seek_to_committed()
        uncommitted = [
            tp
            for tp, offset in committed.items()
            if not offset and not tp.topic.endswith(CHANGELOG_SUFFIX)
        ]
        if uncommitted:
            await consumer.seek_to_beginning(*uncommitted)
        return committed


class _Consumer(driver.Consumer):
    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - the fetch loop
        """Faust's fetch loop, with records of an intake's topics handed straight to it.

        Same order, offsets, gap checks and commits as stock Faust; a record of an intake's topic
        is appended to the intake (scoring/worker/intake.py) instead of being raced through the
        conductor's callback, and the loop waits only when the intake is full or the flow is
        suspended (a rebalance), when a record not handed over is dropped as Faust drops it.
        """
        intakes: Mapping[str, Intake] = self.app.intakes  # type: ignore[attr-defined]
        callback, getmany = self.callback, self.getmany
        consumer_stopped, fetcher_stopped = self._stopped.is_set, fetcher._stopped.is_set
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        flow = self.app.flow_control
        since_yield = 0
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                records = getmany(timeout=1.0)
                await self.sleep(0)
                if self.should_stop:
                    continue
                async for tp, message in records:
                    since_yield += 1
                    if since_yield > 100:
                        await asyncio.sleep(0)
                        since_yield = 0
                    offset, last = message.offset, read_offset[tp]
                    if last is not None and offset < last:
                        continue  # read before a seek back: Faust drops it too
                    if last and offset - last > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, last + 1, offset)
                    if self._commit_every is not None and self._n_acked >= self._commit_every:
                        self._n_acked = 0
                        await self.commit()
                    intake = intakes.get(tp.topic)
                    if intake is None:
                        await self.wait_first(callback(message), self.suspend_flow.wait())
                    elif await self._room_in(intake, flow):
                        intake.put(message)
                    read_offset[tp] = offset
        except self.consumer_stopped_errors:
            if not self.transport.app.should_stop:
                raise
        except asyncio.CancelledError:
            if not self.transport.app.should_stop:
                raise

    async def _room_in(self, intake: Intake, flow: FlowControlEvent) -> bool:
        """Wait until the flow runs and the intake has room; False if the flow was suspended."""
        while not flow.is_active() or intake.full():
            if self.suspend_flow.is_set():
                return False
            waiting = intake.wait_for_room() if flow.is_active() else flow.acquire()
            await self.wait_first(waiting, self.suspend_flow.wait())
        return not self.suspend_flow.is_set()

    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _add_gap(self, tp: Any, offset_from: int, offset_to: int) -> None:
        if self.in_transaction:  # control records: offsets no agent ever sees (fix 2)
            await super()._add_gap(tp, offset_from, offset_to)
            return
        log.warning(
            "%s[%d]: offsets %d-%d skipped between fetch and agent; not committing past them",
            tp.topic,
            tp.partition,
            offset_from,
            offset_to - 1,
        )

    async def perform_seek(self) -> None:
        await super().perform_seek()
        for tp in self._read_offset:  # no await since the seek: nothing read in between
            self._read_offset[tp] = None

    def _new_offset(self, tp: Any) -> int | None:
        acked, committed = self._acked[tp], self._committed_offset[tp]
        unfinished = acked and committed is not None and min(acked) > committed
        if unfinished and not self.in_transaction:
            return None  # the record at the committed offset is not finished (fix 2)
        return super()._new_offset(tp)


class Transport(driver.Transport):
    """The aiokafka transport with fixes 2 and 3."""

    Consumer = _Consumer

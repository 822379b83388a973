"""Faust's aiokafka transport, with one fix: an input partition without a committed offset is
read again from its beginning after a rebalance, instead of from wherever the fetcher stopped.

Faust drops the records it has fetched but not yet handed to an agent when the consumer
generation changes mid-fetch (`Consumer.getmany`), and then seeks every partition back to its
committed offset. aiokafka's `seek_to_committed` leaves a partition with no committed offset where
it is, past the dropped records, so they are never read: a worker that took over a partition
its previous owner had not committed yet silently skipped part of it (seen as a stuck scale-out
test and as lost events after a restart). "No committed offset" means "from the earliest
record" here (`consumer_auto_offset_reset="earliest"`), so that is where such a partition goes;
what was already processed comes again and is deduplicated like any redelivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition
from faust.transport.drivers import aiokafka as driver

CHANGELOG_SUFFIX = "-changelog"  # table changelogs: positioned by Faust's recovery, not by us


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
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(driver.Transport):
    """The aiokafka transport whose consumer re-reads uncommitted partitions after a rebalance."""

    Consumer = _Consumer

"""The stale-lead detector: lead topics in, state + positions + outbox out in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from alerts import metrics, outbox_store, state_store, tracking
from alerts.signals import (
    Merged,
    Signal,
    Source,
    TierChanged,
    decode,
    resolve,
    unresolved_opportunities,
)
from alerts.signals import Rejected as RejectedRecord
from alerts.sweeper import Clock, Sweeper, count_raised, lagging_clock
from schemas.outgoing import Alert
from schemas.topics import LEAD_EVENTS, LEAD_MERGES, PROMOTIONS, SALES_STAGES, TopicSpec
from services.settings import Settings

log = logging.getLogger("alerts.worker")
SOURCES: tuple[tuple[TopicSpec, Source], ...] = (
    (LEAD_EVENTS, Source.LEAD_EVENTS),
    (PROMOTIONS, Source.PROMOTIONS),
    (SALES_STAGES, Source.SALES_STAGES),
    (LEAD_MERGES, Source.MERGES),
)
Batch = Mapping[TopicPartition, list[ConsumerRecord]]


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, continue from the positions committed with the state."""

    def __init__(self, detector: StaleDetector) -> None:
        self.detector = detector

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """Nothing to flush: every batch commits before the next fetch."""

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Seek every assigned partition to its stored position (or the beginning)."""
        await self.detector.seek(assigned)


class StaleDetector:
    """Consumes lead topics in a group; partitions (and so leads) spread over the workers."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.name = f"alerts:{settings.alerts_schema}"
        self.config = settings.stale_leads
        lateness = timedelta(seconds=settings.alerts_allowed_lateness_seconds)
        self.clock = clock or lagging_clock(lateness)
        self.raised = asyncio.Event()  # set when new alerts are in the outbox
        self._sources = {spec.name(settings.topic_prefix): src for spec, src in SOURCES}
        self._pool: asyncpg.Pool | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._sweeper: Sweeper | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool (search path: the alerts schema)."""
        if self._pool is None:
            raise RuntimeError("detector not started")
        return self._pool

    @property
    def sweeper(self) -> Sweeper:
        """The event-time sweep over this detector's schema."""
        if self._sweeper is None:
            raise RuntimeError("detector not started")
        return self._sweeper

    @property
    def consumer(self) -> AIOKafkaConsumer:
        """The running group consumer."""
        if self._consumer is None:
            raise RuntimeError("detector not started")
        return self._consumer

    async def start(self) -> None:
        """Connect, join the consumer group; assigned partitions resume from stored positions."""
        self._pool = await state_store.create_pool(
            self.settings.database_url, self.settings.alerts_schema
        )
        self._sweeper = Sweeper(self.settings, self._pool, self.clock, self.raised)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            group_id=f"{self.settings.topic_prefix}alerts",
            client_id="leadfunnel-alerts",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            rebalance_timeout_ms=10_000,
        )
        self._consumer.subscribe(list(self._sources), listener=_SeekToStored(self))
        await self._consumer.start()

    async def stop(self) -> None:
        """Leave the group and close; what was committed stays committed."""
        if self._consumer is not None:
            await self._consumer.stop()
        if self._pool is not None:
            await self._pool.close()

    async def seek(self, partitions: list[TopicPartition]) -> None:
        """Position the consumer at the stored offsets of the given partitions."""
        async with self.pool.acquire() as conn:
            stored = await state_store.load_positions(conn, self.name)
        for tp in partitions:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                await self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek(tp, offset)

    async def run_once(self, timeout_ms: int = 500) -> int:
        """Apply one batch (if any), then sweep when caught up; returns the records applied."""
        batch = await self.consumer.getmany(
            timeout_ms=timeout_ms, max_records=self.settings.alerts_batch_records
        )
        applied = await self._apply(batch) if batch else 0
        if await self._caught_up():
            await self.sweep()
        return applied

    async def _apply(self, batch: Batch) -> int:
        started = time.perf_counter()
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await state_store.load_positions(conn, self.name)
            signals = self._decode(batch, stored)
            wanted = unresolved_opportunities(signals)
            signals = resolve(signals, await state_store.leads_by_opportunity(conn, wanted))
            alerts = await self._fold(conn, signals)
            fresh = await outbox_store.enqueue(conn, alerts)
            if signals:
                await state_store.advance_clock(conn, self.name, max(s.at for s in signals))
            positions = {(tp.topic, tp.partition): ms[-1].offset + 1 for tp, ms in batch.items()}
            await state_store.save_positions(conn, self.name, positions)
        with contextlib.suppress(KafkaError):  # for lag tools only; the database is the truth
            await self.consumer.commit({tp: ms[-1].offset + 1 for tp, ms in batch.items()})
        count_raised(fresh, self.raised)
        metrics.BATCH_SECONDS.labels("batch").observe(time.perf_counter() - started)
        return len(signals)

    def _decode(self, batch: Batch, stored: Mapping[tuple[str, int], int]) -> list[Signal]:
        signals: list[Signal] = []
        for tp, messages in batch.items():
            source = self._sources[tp.topic]
            start = stored.get((tp.topic, tp.partition), 0)
            for message in messages:
                if message.offset < start:  # another worker committed it after a rebalance
                    metrics.RECORDS.labels(source, "skipped").inc()
                    continue
                decoded = decode(source, message.value)
                if isinstance(decoded, RejectedRecord):
                    metrics.RECORDS.labels(source, "rejected").inc()
                    log.warning("%s[%d]@%d: %s", tp.topic, tp.partition, message.offset, decoded)
                    continue
                metrics.RECORDS.labels(source, "applied").inc()
                for signal in decoded:
                    if isinstance(signal, TierChanged):
                        direction = "promoted" if signal.promoted else "demoted"
                        metrics.PROMOTIONS_SEEN.labels(direction, signal.tier).inc()
                signals += decoded
        return signals

    async def _fold(self, conn: state_store.Connection, signals: list[Signal]) -> list[Alert]:
        ids = {s.lead_id for s in signals if s.lead_id is not None}
        ids |= {s.surviving_lead_id for s in signals if isinstance(s, Merged)}
        before = await state_store.load_leads(conn, ids)
        after, alerts = tracking.fold(before, signals, self.config)
        changed = [lead for key, lead in after.items() if before.get(key) != lead]
        await state_store.save_leads(conn, changed, self.config)
        return alerts

    async def sweep(self, now: datetime | None = None) -> list[Alert]:
        """Flag leads idle past their allowed time at `now` (default: the event-time clock)."""
        return await self.sweeper.sweep(now)

    async def _caught_up(self) -> bool:
        """Whether every assigned partition was read up to its last stable offset."""
        caught_up = True
        for tp in self.consumer.assignment():
            end = self.consumer.last_stable_offset(tp)
            if end is None:
                end = self.consumer.highwater(tp)
            if end is None:  # no fetch answered for it yet
                caught_up = False
                continue
            lag = max(0, end - await self.consumer.position(tp))
            metrics.LAG.labels(tp.topic, str(tp.partition)).set(lag)
            caught_up = caught_up and lag == 0
        return caught_up

    async def run(self, stop: asyncio.Event) -> None:
        """Consume and sweep until `stop` is set; failed batches are retried from the database."""
        while not stop.is_set():
            try:
                await self.run_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.error("batch failed, resuming from the stored positions: %r", error)
                await asyncio.sleep(1)
                await self.seek(list(self.consumer.assignment()))

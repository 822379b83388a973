"""The stale-lead detector: lead topics in, state + positions + outbox out in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from alerts.model import ordering, tracking
from alerts.model.ordering import Held
from alerts.model.signals import (
    Merged,
    Signal,
    Source,
    TierChanged,
    decode,
    resolve,
    unresolved_opportunities,
)
from alerts.model.signals import Rejected as RejectedRecord
from alerts.worker import outbox_store, state_store, telemetry
from alerts.worker.config import AlertsConfig
from alerts.worker.sweeper import Clock, Sweeper, count_raised, lagging_clock
from funnel.projector.privacy_store import erased_among
from runtime import poison
from runtime.consumer import (
    dead_letter_producer,
    log_consumer,
    pass_over,
    run_batches,
    seek_to,
)
from runtime.poison import Poisoned
from runtime.positions import load_positions, save_positions
from schemas.outgoing import Alert
from schemas.topics import (
    DEAD_LETTERS,
    LEAD_EVENTS,
    LEAD_MERGES,
    PROMOTIONS,
    SALES_STAGES,
    TopicSpec,
)

log = logging.getLogger("alerts.worker.runner")
SOURCES: tuple[tuple[TopicSpec, Source], ...] = (
    (LEAD_EVENTS, Source.LEAD_EVENTS),
    (PROMOTIONS, Source.PROMOTIONS),
    (SALES_STAGES, Source.SALES_STAGES),
    (LEAD_MERGES, Source.MERGES),
)
Batch = Mapping[TopicPartition, list[ConsumerRecord]]


def _concerns(signal: Signal, erased: set[str]) -> bool:
    """Whether a signal is about an erased lead (or merges into one)."""
    if signal.lead_id in erased:
        return True
    return isinstance(signal, Merged) and signal.surviving_lead_id in erased


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, continue from the positions committed with the state."""

    def __init__(self, detector: StaleDetector) -> None:
        self.detector = detector

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """Drop what is held for them: it is not committed, their next owner reads it again."""
        self.detector.forget(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Seek every assigned partition to its stored position (or the beginning)."""
        await self.detector.seek(assigned)


class StaleDetector:
    """Consumes lead topics in a group; partitions (and so leads) spread over the workers."""

    def __init__(self, config: AlertsConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.name = f"alerts:{config.schema}"
        self.stale = config.checks.stale_leads
        lateness = timedelta(seconds=config.allowed_lateness_seconds)
        self.clock = clock or lagging_clock(lateness)
        self.raised = asyncio.Event()  # set when new alerts are in the outbox
        self._sources = {spec.name(config.topic_prefix): src for spec, src in SOURCES}
        self._pool: asyncpg.Pool | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None  # dead letters only
        self._dead_letters = DEAD_LETTERS.name(config.topic_prefix)
        self._sweeper: Sweeper | None = None
        self._held: dict[TopicPartition, list[Held]] = {}  # read, not yet folded nor committed
        self.behind: int | None = None  # records not yet read on the assigned partitions

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
        self._pool = await state_store.create_pool(self.config.database_url, self.config.schema)
        self._sweeper = Sweeper(self.config, self._pool, self.clock, self.raised)
        self._consumer = log_consumer(
            self.config.kafka_bootstrap,
            "leadfunnel-alerts",
            group_id=f"{self.config.topic_prefix}alerts",
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            rebalance_timeout_ms=10_000,
        )
        self._producer = dead_letter_producer(self.config.kafka_bootstrap)
        await self._producer.start()
        self._consumer.subscribe(list(self._sources), listener=_SeekToStored(self))
        await self._consumer.start()

    async def stop(self) -> None:
        """Leave the group and close; what was committed stays committed."""
        for closing in (self._consumer, self._producer):
            if closing is not None:
                await closing.stop()
        if self._pool is not None:
            await self._pool.close()

    def forget(self, partitions: list[TopicPartition]) -> None:
        """Drop the held records of `partitions` (they are read again from the stored offsets)."""
        for tp in partitions:
            self._held.pop(tp, None)

    async def seek(self, partitions: list[TopicPartition]) -> None:
        """Position the consumer at the stored offsets of the given partitions."""
        self.forget(partitions)
        async with self.pool.acquire() as conn:
            stored = await load_positions(conn, self.name)
        await seek_to(
            self.consumer, {tp: stored.get((tp.topic, tp.partition)) for tp in partitions}
        )

    async def run_once(self, timeout_ms: int = 500) -> int:
        """Read a batch, fold what the event-time merge releases, sweep when caught up."""
        batch = await self.consumer.getmany(
            timeout_ms=timeout_ms, max_records=self.config.batch_records
        )
        self._hold(batch)
        settled = await self._settled()
        applied = await self._apply(settled) if self._held else 0
        self._held = {tp: records for tp, records in self._held.items() if records}
        if not self._held and settled >= self.consumer.assignment():
            await self.sweep()
        return applied

    async def _apply(self, settled: set[TopicPartition]) -> int:
        """Fold the released records; state, outbox and positions commit in one transaction.

        Should the database or the fold refuse the batch for something in its data, the batch is
        split until the refused record stands alone; that one is dead-lettered and skipped.
        """
        started = time.perf_counter()
        async with self.pool.acquire() as conn:
            stored = await load_positions(conn, self.name)
        # Records already applied (re-read after a seek or rebalance) leave the holding area for
        # good: held, they would block the sweep forever.
        self._held = {tp: self._unseen(tp, records, stored) for tp, records in self._held.items()}
        released = ordering.release(self._held, sorted(self.consumer.assignment()), settled)
        if not released.positions:
            return 0  # every partition waits for one that is behind
        applied: list[Signal] = []
        fresh: list[Alert] = []

        async def attempt(run: Sequence[tuple[TopicPartition, Held]]) -> None:
            signals, raised = await self._commit(run)
            applied.extend(signals)
            fresh.extend(raised)

        await poison.isolate(released.records, attempt, self._skip)
        self._held = released.held  # only once committed: a failed batch is read again
        with contextlib.suppress(KafkaError):  # for lag tools only; the database is the truth
            await self.consumer.commit(released.positions)
        count_raised(fresh, self.raised)
        telemetry.BATCH_SECONDS.labels("batch").observe(time.perf_counter() - started)
        return len(applied)

    async def _commit(
        self, run: Sequence[tuple[TopicPartition, Held]]
    ) -> tuple[list[Signal], list[Alert]]:
        """Fold a run of released records and store the positions past them, in one transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await load_positions(conn, self.name)
            positions: dict[tuple[str, int], int] = {}
            ordered: list[Signal] = []
            undecodable: list[Poisoned] = []
            for tp, held in run:
                key = (tp.topic, tp.partition)
                if held.offset >= stored.get(key, 0):  # else another worker committed it
                    positions[key] = held.offset + 1
                    ordered.extend(held.signals)
                    if held.undecodable is not None:
                        at = (tp.topic, tp.partition, held.offset)
                        undecodable.append(Poisoned(*at, held.value, held.undecodable))
            wanted = unresolved_opportunities(ordered)
            known = await state_store.leads_by_opportunity(conn, wanted)
            signals = resolve(ordered, known)
            alerts = await self._fold(conn, signals)
            fresh = await outbox_store.enqueue(conn, alerts)
            if signals:
                await state_store.advance_clock(conn, self.name, max(s.at for s in signals))
            if undecodable:  # once, with the positions that pass over them
                await self._dead_letter(undecodable, "undecodable")
            await save_positions(conn, self.name, positions)
        return signals, fresh

    async def _skip(self, item: tuple[TopicPartition, Held], error: BaseException) -> None:
        """Dead-letter a record the database or the fold refused, and store the position past it."""
        tp, held = item
        refused = Poisoned(tp.topic, tp.partition, held.offset, held.value, poison.describe(error))
        async with self.pool.acquire() as conn, conn.transaction():
            skipped, _ = await pass_over(
                conn,
                self._require_producer(),
                positions_of=self.name,
                consumer=self.name,
                dead_letters=self._dead_letters,
                record=refused,
                ours=lambda stored: held.offset >= (stored or 0),  # else another worker got past
            )
        if not skipped:
            return
        telemetry.RECORDS.labels(self._sources[tp.topic], "dead_letter").inc()

    def _require_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("detector not started")
        return self._producer

    async def _dead_letter(self, records: list[Poisoned], reason: str) -> None:
        await poison.publish(
            self._require_producer(), self._dead_letters, records, self.name, reason
        )

    @staticmethod
    def _unseen(
        tp: TopicPartition, records: list[Held], stored: Mapping[tuple[str, int], int]
    ) -> list[Held]:
        start = stored.get((tp.topic, tp.partition), 0)
        return [r for r in records if r.offset >= start]  # else another worker committed it

    def _hold(self, batch: Batch) -> None:
        """Decode the batch's records and hold them for the event-time merge.

        A record that does not decode is held without signals, so its offset is committed in
        order; it is dead-lettered in the transaction that commits it.
        """
        for tp, messages in batch.items():
            source = self._sources[tp.topic]
            held = self._held.setdefault(tp, [])
            for message in messages:
                decoded = decode(source, message.value)
                if isinstance(decoded, RejectedRecord):
                    telemetry.RECORDS.labels(source, "rejected").inc()
                    held.append(Held(message.offset, (), message.value, decoded.reason))
                    continue
                telemetry.RECORDS.labels(source, "applied").inc()
                for signal in decoded:
                    if isinstance(signal, TierChanged):
                        direction = "promoted" if signal.promoted else "demoted"
                        telemetry.PROMOTIONS_SEEN.labels(direction, signal.tier).inc()
                held.append(Held(message.offset, tuple(decoded), message.value))

    async def _fold(self, conn: state_store.Connection, signals: list[Signal]) -> list[Alert]:
        ids = {s.lead_id for s in signals if s.lead_id is not None}
        ids |= {s.surviving_lead_id for s in signals if isinstance(s, Merged)}
        erased = await erased_among(conn, ids)  # erased people are not tracked again
        if erased:
            signals = [s for s in signals if not _concerns(s, erased)]
            ids -= erased
        before = await state_store.load_leads(conn, ids)
        after, alerts = tracking.fold_in_order(before, signals, self.stale)
        changed = [lead for key, lead in after.items() if before.get(key) != lead]
        await state_store.save_leads(conn, changed, self.stale)
        return alerts

    async def sweep(self, now: datetime | None = None) -> list[Alert]:
        """Flag leads idle past their allowed time at `now` (default: the event-time clock)."""
        return await self.sweeper.sweep(now)

    async def _settled(self) -> set[TopicPartition]:
        """The assigned partitions read up to their last stable offset."""
        settled: set[TopicPartition] = set()
        behind: int | None = 0
        for tp in self.consumer.assignment():
            end = self.consumer.last_stable_offset(tp)
            if end is None:
                end = self.consumer.highwater(tp)
            if end is None:  # no fetch answered for it yet
                behind = None
                continue
            lag = max(0, end - await self.consumer.position(tp))
            telemetry.LAG.labels(tp.topic, str(tp.partition)).set(lag)
            behind = None if behind is None else behind + lag
            if lag == 0:
                settled.add(tp)
        self.behind = behind if self.consumer.assignment() else None
        return settled

    async def run(self, stop: asyncio.Event, beat: Callable[[], None] = lambda: None) -> None:
        """Consume and sweep until `stop` is set; failed batches are retried from the database.

        `beat` is called every turn of the loop (the liveness probe's heartbeat).
        """
        await run_batches(stop, beat, self.run_once, self._resume, log)

    async def _resume(self) -> None:
        """After a failed batch: drop what is held, read on from the stored positions."""
        await self.seek(list(self.consumer.assignment()))

"""The projector adapter: Kafka batches in (getmany), one PostgreSQL transaction per batch out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener

from funnel.model.gates import judged, load_gates
from funnel.model.privacy import contact_rows, erased_in, without_erased
from funnel.model.projection import (
    Fact,
    Rejected,
    Source,
    SourceRecord,
    decode,
    fold,
    lead_ids,
    resolve_aliases,
    survivor_keys,
    touched_keys,
)
from funnel.projector import privacy_store, store, telemetry
from funnel.projector.config import ProjectorConfig
from funnel.store.queries import plain_schema
from performance.model.rules import load_points
from performance.store import points as points_store
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
from schemas.outgoing import LeadsMerged
from schemas.topics import (
    DEAD_LETTERS,
    ERASURES,
    LEAD_EVENTS,
    LEAD_MERGES,
    LEAD_SCORES,
    PROMOTIONS,
    SALES_STAGES,
    SPEND,
    TopicSpec,
)

log = logging.getLogger("funnel.projector")

SOURCES: tuple[tuple[TopicSpec, Source], ...] = (
    (LEAD_EVENTS, Source.LEAD_EVENTS),
    (LEAD_SCORES, Source.SCORES),
    (PROMOTIONS, Source.PROMOTIONS),
    (LEAD_MERGES, Source.MERGES),
    (SALES_STAGES, Source.SALES_STAGES),
    (ERASURES, Source.ERASURES),
    (SPEND, Source.SPEND),
)
Batch = Mapping[TopicPartition, list[ConsumerRecord]]
Progress = Callable[[int, int], None]  # (projected so far, total) of a catch-up


async def connect(database_url: str, schema: str) -> store.Connection:
    """A connection whose unqualified table names resolve in `schema`."""
    plain_schema(schema)
    return await asyncpg.connect(
        database_url,
        server_settings={"search_path": f"{schema},public", "application_name": f"funnel:{schema}"},
    )


class _Rebalanced(ConsumerRebalanceListener):  # type: ignore[misc]
    """Group mode: assigned partitions resume from the database, revoked ones are let go."""

    def __init__(self, projector: Projector) -> None:
        self.projector = projector

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """Let the batch under way commit, then forget the partitions."""
        await self.projector.release(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Read on from the positions stored with the read models."""
        await self.projector.resume_from_stored(assigned)


class Projector:
    """Projects the lead topics into the read models of one schema; positions live in the DB."""

    def __init__(
        self,
        config: ProjectorConfig,
        *,
        schema: str | None = None,
        max_records: int | None = None,
        group: bool = False,
    ) -> None:
        self.config = config
        # group: share the partitions with the other projectors of this schema (a consumer
        # group); otherwise read every partition (a rebuild, a catch-up, one instance).
        self.group = group
        self.schema = schema or config.schema
        self.name = self.schema  # positions follow their tables: a rebuild swaps both at once
        self.consumer_name = f"projector:{self.schema}"  # names it in dead letters and metrics
        self.order = config.order  # what counts as advancing a stage
        self.points = load_points(config.points_rules_path)  # what a rep's activity earns
        self.gates = load_gates(config.stage_gates_path, self.order)  # what a stage move needs
        self.max_records = max_records or config.batch_records
        self._sources = {spec.name(config.topic_prefix): source for spec, source in SOURCES}
        self._dead_letters = DEAD_LETTERS.name(config.topic_prefix)
        self._committed: dict[TopicPartition, int | None] = {}  # what this projector owns
        self._batch_lock = asyncio.Lock()
        self._conn: store.Connection = None
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None

    @property
    def consumer(self) -> AIOKafkaConsumer:
        """The running consumer."""
        if self._consumer is None:
            raise RuntimeError("projector not started")
        return self._consumer

    @property
    def partitions(self) -> list[TopicPartition]:
        """Every partition this projector reads."""
        return sorted(self._committed)

    async def start(self) -> None:
        """Connect, assign every partition of the source topics, seek to the stored positions."""
        self._conn = await connect(self.config.database_url, self.schema)
        group = {
            "group_id": f"{self.config.topic_prefix}projector-{self.name}",
            "session_timeout_ms": 10_000,
            "heartbeat_interval_ms": 1_000,
            "rebalance_timeout_ms": 30_000,
        }
        self._consumer = log_consumer(
            self.config.kafka_bootstrap,
            f"leadfunnel-projector-{self.name}",
            **(group if self.group else {}),
        )
        self._producer = dead_letter_producer(self.config.kafka_bootstrap)
        try:
            await self._consumer.start()
            await self._producer.start()
            partitions = await self._source_partitions()
            if self.group:
                topics = sorted({tp.topic for tp in partitions})
                self._consumer.subscribe(topics, listener=_Rebalanced(self))
            else:
                self._consumer.assign(partitions)
                await self.resume_from_stored(partitions)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close the consumer, producer and connection; stored positions stay as committed."""
        for closing in (self._consumer, self._producer):
            if closing is not None:
                await closing.stop()
        if self._conn is not None:
            await self._conn.close()

    async def resume_from_stored(self, partitions: Sequence[TopicPartition]) -> None:
        """Seek the partitions to the positions stored with the read models (or the start)."""
        stored = await load_positions(self._conn, self.name)
        await self._seek({tp: stored.get((tp.topic, tp.partition)) for tp in partitions})

    async def release(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions that went to another projector: wait for the batch under way, forget them."""
        async with self._batch_lock:
            for tp in partitions:
                self._committed.pop(tp, None)
                with contextlib.suppress(KeyError):  # its lag is the new owner's to report
                    telemetry.LAG.remove(self.name, tp.topic, str(tp.partition))

    async def _source_partitions(self, timeout: float = 30) -> list[TopicPartition]:
        deadline = time.monotonic() + timeout
        while True:
            cluster = await self.consumer._client.fetch_all_metadata()
            found = {topic: cluster.partitions_for_topic(topic) for topic in self._sources}
            missing = sorted(topic for topic, parts in found.items() if not parts)
            if not missing:
                return [TopicPartition(t, p) for t, parts in found.items() for p in parts or ()]
            if time.monotonic() > deadline:
                raise RuntimeError(f"source topics missing (run `make up`): {missing}")
            await asyncio.sleep(0.5)

    async def _seek(self, targets: Mapping[TopicPartition, int | None]) -> None:
        """Read on from these positions (None: from the beginning), asking the broker once."""
        self._committed.update(targets)
        await seek_to(self.consumer, targets)

    async def run_once(self, timeout_ms: int = 1000) -> int:
        """Fetch one batch and project it in one transaction; returns the records projected."""
        batch = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=self.max_records)
        projected = 0
        async with self._batch_lock:  # a rebalance waits for it
            batch = {tp: records for tp, records in batch.items() if tp in self._committed}
            if batch:
                started = time.perf_counter()
                try:
                    projected = await self._project_isolating(batch)
                except BaseException:
                    # nothing of this batch was committed: fetch it again
                    await self._seek({tp: self._committed.get(tp) for tp in batch})
                    raise
                telemetry.BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)
                telemetry.BATCH_RECORDS.labels(self.name).observe(projected)
        self._update_lag()
        return projected

    async def _project_isolating(self, batch: Batch) -> int:
        """Project the batch; a record the database or the fold refuses is dead-lettered alone.

        The whole batch goes in one transaction; only when that fails for a reason in the data
        is it split (see `runtime.poison.isolate`), so one bad record costs a few extra
        transactions and never stops the projector.
        """
        items = [(tp, message) for tp, messages in batch.items() for message in messages]
        moved: set[TopicPartition] = set()  # re-read from the database's position: not ours
        projected = 0

        async def attempt(run: Sequence[tuple[TopicPartition, ConsumerRecord]]) -> None:
            nonlocal projected
            part: dict[TopicPartition, list[ConsumerRecord]] = {}
            for tp, message in run:
                if tp not in moved:
                    part.setdefault(tp, []).append(message)
            if part:
                count, refetch = await self._project(part)
                projected += count
                moved.update(refetch)

        async def poisoned(
            item: tuple[TopicPartition, ConsumerRecord], error: BaseException
        ) -> None:
            tp, message = item
            if tp not in moved and not await self._skip(tp, message, poison.describe(error)):
                moved.add(tp)

        await poison.isolate(items, attempt, poisoned)
        return projected

    async def _skip(self, tp: TopicPartition, message: ConsumerRecord, reason: str) -> bool:
        """Dead-letter one refused record and store the position past it; False if moved."""
        record = Poisoned(tp.topic, tp.partition, message.offset, message.value, reason)
        async with self._conn.transaction():
            await store.lock(self._conn, self.name)
            skipped, stored = await pass_over(
                self._conn,
                self._require_producer(),
                positions_of=self.name,
                consumer=self.consumer_name,
                dead_letters=self._dead_letters,
                record=record,
                ours=lambda stored: stored == self._committed.get(tp),
            )
        if not skipped:
            await self._seek({tp: stored})
            return False
        self._committed[tp] = message.offset + 1
        telemetry.RECORDS.labels(self.name, "dead_letter").inc()
        return True

    def _require_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("projector not started")
        return self._producer

    async def _project(self, batch: Batch) -> tuple[int, set[TopicPartition]]:
        """Project one batch in one transaction: the facts projected and the partitions moved."""
        decoded = {
            tp: [
                decode(
                    SourceRecord(self._sources[tp.topic], tp.topic, tp.partition, m.offset, m.value)
                )
                for m in messages
            ]
            for tp, messages in batch.items()
        }
        keys = touched_keys(
            [
                o
                for items in decoded.values()
                for o in items
                if o is not None and not isinstance(o, Rejected)
            ]
        )
        async with self._conn.transaction():
            await store.lock(self._conn, self.name, keys)
            stored = await load_positions(self._conn, self.name)
            # Another writer moved a position (a rebuild swapped tables in, a second instance):
            # the database wins, that partition is fetched again from there.
            moved = {
                tp: stored.get((tp.topic, tp.partition))
                for tp in batch
                if stored.get((tp.topic, tp.partition)) != self._committed.get(tp)
            }
            outcomes = [item for tp, items in decoded.items() if tp not in moved for item in items]
            facts: list[Fact] = [
                o for o in outcomes if o is not None and not isinstance(o, Rejected)
            ]
            rejected = [o for o in outcomes if isinstance(o, Rejected)]
            await self._write(facts)
            await self._send_dead_letters(rejected)
            positions = {
                tp: messages[-1].offset + 1 for tp, messages in batch.items() if tp not in moved
            }
            await save_positions(
                self._conn, self.name, {(tp.topic, tp.partition): n for tp, n in positions.items()}
            )
        self._committed.update(positions)
        if moved:
            await self._seek(moved)
        self._count(
            len(facts), len(rejected), len(outcomes) - len(facts) - len(rejected), moved, batch
        )
        return len(facts), set(moved)

    async def _write(self, facts: list[Fact]) -> None:
        merges = [fact for fact in facts if isinstance(fact, LeadsMerged)]
        known = await store.load_aliases(self._conn, lead_ids(facts))
        aliases = resolve_aliases(known, merges)
        # Erased people (docs/privacy.md): their facts are left out, live or in a rebuild, and
        # what the read models still hold of them is deleted.
        mentioned = {*lead_ids(facts), *aliases.values()}
        erased = erased_in(facts) | await privacy_store.erased_among(self._conn, mentioned)
        facts = without_erased(facts, erased, aliases)
        merges = [fact for fact in facts if isinstance(fact, LeadsMerged)]
        aliases = resolve_aliases(known, merges)
        await store.lock_keys(self._conn, self.name, survivor_keys(aliases))
        merged = sorted({m.merged_lead_id for m in merges if m.merged_lead_id in aliases})
        absorbed_leads, absorbed_identities = await store.load_absorbed(self._conn, merged)
        changes = fold(facts, aliases, absorbed_leads, absorbed_identities)
        changes.stage_changes = {
            event_id: judged(row, self.gates) for event_id, row in changes.stage_changes.items()
        }
        written = await store.apply_changes(self._conn, changes, self.order)
        contacts = contact_rows(facts, aliases)
        written["lead_contacts"] = await privacy_store.write_contacts(self._conn, contacts)
        written["erased_rows"] = await privacy_store.forget(self._conn, erased)
        touched = sorted({row.opportunity_id for row in changes.stage_changes.values()})
        written |= await points_store.apply_awards(self._conn, facts, touched, self.points)
        for table, rows in written.items():
            if rows:
                telemetry.ROWS_WRITTEN.labels(self.name, table).inc(rows)

    async def _send_dead_letters(self, rejected: list[Rejected]) -> None:
        """Publish rejections and wait for the broker before the batch commits (none is lost)."""
        records = [
            Poisoned(
                r.record.topic,
                r.record.partition,
                r.record.offset,
                r.record.value,
                r.reason,
                r.field,
            )
            for r in rejected
        ]
        if records:
            await poison.publish(
                self._require_producer(),
                self._dead_letters,
                records,
                self.consumer_name,
                "undecodable",
            )

    def _count(
        self,
        projected: int,
        rejected: int,
        tombstones: int,
        moved: Mapping[TopicPartition, int | None],
        batch: Batch,
    ) -> None:
        counter = telemetry.RECORDS
        counter.labels(self.name, "projected").inc(projected)
        counter.labels(self.name, "dead_letter").inc(rejected)
        counter.labels(self.name, "tombstone").inc(tombstones)
        counter.labels(self.name, "refetched").inc(sum(len(batch[tp]) for tp in moved))

    def _update_lag(self) -> None:
        for tp, committed in self._committed.items():
            end = self.consumer.highwater(tp)
            if end is not None:
                lag = max(0, end - (committed or 0))
                telemetry.LAG.labels(self.name, tp.topic, str(tp.partition)).set(lag)

    async def end_offsets(self) -> dict[TopicPartition, int]:
        """The current end of every source partition (last stable offset)."""
        ends: dict[TopicPartition, int] = await self.consumer.end_offsets(self.partitions)
        return ends

    async def catch_up(
        self, targets: Mapping[TopicPartition, int] | None = None, progress: Progress | None = None
    ) -> None:
        """Project until every partition has been read up to its target (default: its end now)."""
        targets = dict(targets or await self.end_offsets())
        starts = await self.consumer.beginning_offsets(self.partitions)
        total = sum(max(0, targets[tp] - starts[tp]) for tp in targets)
        while True:
            positions = {tp: await self.consumer.position(tp) for tp in targets}
            done = sum(min(targets[tp], positions[tp]) - starts[tp] for tp in targets)
            if progress is not None:
                progress(max(0, done), total)
            if all(positions[tp] >= targets[tp] for tp in targets):
                return
            await self.run_once(timeout_ms=200)

    def behind(self) -> int | None:
        """Messages of the owned partitions not yet projected; None before any fetch answered."""
        ends = {tp: self.consumer.highwater(tp) for tp in self._committed}
        if not ends or any(end is None for end in ends.values()):
            return None
        return sum(max(0, (ends[tp] or 0) - (c or 0)) for tp, c in self._committed.items())

    async def run(self, stop: asyncio.Event, beat: Callable[[], None] = lambda: None) -> None:
        """Project until `stop` is set; transient failures are retried from the stored positions.

        `beat` is called every turn of the loop (the liveness probe's heartbeat).
        """
        await run_batches(stop, beat, self.run_once, self._reconnect, log)

    async def _reconnect(self) -> None:
        """After a failed batch: the positions were not moved, only the connection may be gone."""
        if self._conn.is_closed():
            self._conn = await connect(self.config.database_url, self.schema)

"""The scoring worker's Faust app, built from its ScoringConfig: topics, tables, batch plumbing.

Every batch runs *gather → decide (pure: `scoring.model.resolving`, `scoring.model.decider`) →
publish and wait for the broker's acknowledgements → write the tables*; then Faust acks the batch,
and it flushes the producer (the changelog writes) before it commits those offsets. A crash at any
point therefore replays inputs from table states that are at most as new as the published outputs,
and the pure decisions reproduce the same outputs with the same ids (docs/scoring.md, "Exactly
once").
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import faust
import orjson
from aiokafka.partitioner import murmur2

from runtime.record_batches import Headers, record_batches
from schemas.topics import (
    DEAD_LETTERS,
    ERASURES,
    LEAD_EVENTS,
    LEAD_MERGES,
    LEAD_SCORES,
    PROMOTIONS,
    RAW_EVENTS,
    SALES_STAGES,
)
from scoring.model.decider import Folder, Tables
from scoring.model.due import DueIndex
from scoring.model.effects import Effects, Out, Overlay
from scoring.model.messages import Handoff
from scoring.model.resolving import Record, Resolver, dead_letter
from scoring.model.rules import RuleSet
from scoring.model.state import LeadState
from scoring.worker import codec, telemetry
from scoring.worker.config import ScoringConfig
from scoring.worker.faust_fixes import App
from scoring.worker.intake import Intake
from scoring.worker.store import OPTIONS, KeyedRocksDBStore, is_durable, reader
from scoring.worker.topics import IDENTITY_HOPS, LEAD_INPUTS, NURTURE, app_id

log = logging.getLogger("scoring")
# a message to send: partition (None: aiokafka picks), key, value
OutRecord = tuple[int | None, bytes | None, bytes | None]
CRASHED = 70  # exit status when a batch cannot be completed (the supervisor restarts us)
STATE_CACHE = (
    4096  # decoded lead states kept; the table holds them packed (scoring/worker/codec.py)
)


def faust_app(config: ScoringConfig, partitions: int) -> App:
    """The Faust app: RocksDB or memory store (`config.store`), our timeouts."""
    name = app_id(config.topic_prefix, config.generation)
    Path(config.data_dir).mkdir(parents=True, exist_ok=True)  # Faust makes one level
    return App(
        name,
        broker=f"kafka://{config.kafka_bootstrap}",
        store="rocksdb://" if config.store == "rocksdb" else "memory://",
        datadir=str(Path(config.data_dir) / name),
        processing_guarantee=config.processing_guarantee,
        topic_partitions=partitions,
        topic_replication_factor=config.topic_replication,
        topic_disable_leader=True,
        # we create every topic from its declaration; Faust's own declaring costs a metadata
        # request for every topic on the broker per topic (seconds on a shared broker)
        topic_allow_declare=False,
        broker_session_timeout=config.session_timeout_seconds,
        broker_heartbeat_interval=config.heartbeat_interval_seconds,
        broker_rebalance_timeout=config.rebalance_timeout_seconds,
        broker_commit_interval=config.commit_interval_seconds,
        consumer_auto_offset_reset="earliest",
        stream_recovery_delay=0.1,
        stream_ack_exceptions=False,
        stream_ack_cancelled_tasks=False,
        producer_acks=-1,
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=True,
        web_bind=config.web_host,
        web_host=config.web_host,
        web_port=config.web_port,
        worker_redirect_stdouts=False,
    )  # App: stock Faust with the fixes in scoring/worker/faust_fixes.py


class KeyedTable(faust.Table):  # type: ignore[type-arg]
    """A table whose key's changelog partition is the key's hash, as on every keyed input topic.

    Faust's default takes the partition of the event being processed (wrong for a batch that
    spans partitions); its `use_partitioner` asks the producer's metadata, which may not be
    loaded yet for a changelog topic. Hashing ourselves is both right and always available.
    """

    partition_of: Callable[[str], int]

    def _new_store_by_url(self, url: Any) -> Any:
        if str(url).startswith("rocksdb:"):
            return KeyedRocksDBStore(
                url,
                self.app,
                self,
                table_name=self.name,
                key_type=self.key_type,
                key_serializer=self.key_serializer,
                value_serializer=self.value_serializer,
                value_type=self.value_type,
                loop=self.loop,
                options=dict(OPTIONS),
            )
        return super()._new_store_by_url(url)

    def partition_for_key(self, key: Any) -> int:
        return self.partition_of(key)

    def _serializer_from_type(self, typ: Any) -> str:
        # str keys as plain UTF-8 (not JSON): the changelog key and the partition hash are then
        # the same bytes as on the input topics, and Faust's table_route agrees on the owner.
        return "raw"


class ScoringWorker:
    """The app plus what its agents share: tables, topic names, the pure deciders, the index."""

    def __init__(self, config: ScoringConfig, rules: RuleSet, partitions: int) -> None:
        self.config, self.rules, self.partitions = config, rules, partitions
        self.app = faust_app(config, partitions)
        internal, public = self.app.conf.id, config.topic_prefix
        self.names: dict[Out, str] = {
            Out.HOPS: IDENTITY_HOPS.name(internal),
            Out.LEAD_INPUTS: LEAD_INPUTS.name(internal),
            Out.LEAD_EVENTS: LEAD_EVENTS.name(public),
            Out.LEAD_SCORES: LEAD_SCORES.name(public),
            Out.PROMOTIONS: PROMOTIONS.name(public),
            Out.LEAD_MERGES: LEAD_MERGES.name(public),
            Out.SALES_STAGES: SALES_STAGES.name(public),
            Out.NURTURE: NURTURE.name(public),
            Out.DEAD_LETTERS: DEAD_LETTERS.name(public),
        }
        self.raw_topic = RAW_EVENTS.name(public)
        self.erasure_topic = ERASURES.name(public)  # read by the scoring agent (docs/privacy.md)
        self.partition_of: Callable[[str], int] = lru_cache(maxsize=65_536)(self._partition_of)
        self.identities = self._table("identities")
        self.leads = self._table("leads")
        self.lead_identities = self._table("lead_identities")
        self.nurtured = self._table("nurtured")
        handoff = Handoff()  # the events the identity agent parsed, for the scoring agent
        self.resolver = Resolver(self.partition_of, handoff)
        self.folder = Folder(rules, config.sweep_min_change, config.nurture_enabled, handoff)
        self.due = DueIndex(round(config.sweep_every_seconds * 1_000_000))
        self._states: OrderedDict[str, tuple[bytes, LeadState]] = OrderedDict()
        self.processed: dict[tuple[str, int], int] = {}  # (topic, partition) → next offset
        self._readers: dict[str, Callable[[str], bytes | None]] = {}
        self.routable = False  # the producer knows the changelogs' partitions (agents.py)
        # outputs with as many partitions as the inputs: a key's partition is `partition_of`
        self.hashed: frozenset[Out] = frozenset()
        self.batched = config.processing_guarantee == "at_least_once"  # record batches (_produce)

    def _get(self, table: Any, key: str) -> bytes | None:
        read = self._readers.get(table.name)
        if read is None:  # the store exists once the app is configured, not at __init__
            read = self._readers[table.name] = reader(table)
        return read(key)

    def _table(self, name: str) -> Any:
        table = KeyedTable(
            self.app,
            name=name,
            key_type=str,
            value_type=bytes,
            partitions=self.partitions,
            beacon=self.app.tables.beacon,
        )
        table.partition_of = self.partition_of
        return self.app.tables.add(table)

    def _partition_of(self, key: str) -> int:
        return int(murmur2(key.encode()) & 0x7FFFFFFF) % self.partitions

    def intake(self, topic: Any) -> Intake:
        """The intake an agent of `topic` (one or more topics) takes its batches from."""
        intake = Intake(self.app, topic.topics, self.config.batch_size)
        for name in intake.topics:
            self.app.intakes[name] = intake
        return intake

    # --- readiness ------------------------------------------------------------------------

    def is_ready(self) -> bool:
        """Partitions assigned, tables recovered, not rebalancing, lead reads routable."""
        app = self.app
        recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
        assigned = bool(app.consumer.assignment())
        return assigned and recovered and not app.rebalancing and self.routable

    # --- table reads ----------------------------------------------------------------------

    def read_lead(self, lead_id: str) -> LeadState | None:
        """A lead's state, decoded once per stored value (a small LRU keeps the hot ones)."""
        raw = self._get(self.leads, lead_id)
        if raw is None:
            return None
        cached = self._states.get(lead_id)
        if cached is not None and cached[0] == raw:  # on disk every read is a new bytes object
            self._states.move_to_end(lead_id)
            return cached[1]
        state = codec.decode(bytes(raw))
        self._remember(lead_id, raw, state)
        return state

    def _remember(self, lead_id: str, raw: bytes, state: LeadState) -> None:
        self._states[lead_id] = (raw, state)
        self._states.move_to_end(lead_id)
        if len(self._states) > STATE_CACHE:
            self._states.popitem(last=False)

    def read_identity(self, key: str) -> str | None:
        """The lead an identity key belongs to."""
        raw = self._get(self.identities, key)
        return None if raw is None else bytes(raw).decode()

    def read_lead_identities(self, lead_id: str) -> tuple[str, ...] | None:
        """The identity keys a lead was seen with."""
        raw = self._get(self.lead_identities, lead_id)
        return None if raw is None else tuple(orjson.loads(raw))

    def read_nurtured(self, lead_id: str) -> str | None:
        """The last nurture suggestion id published for a lead."""
        raw = self._get(self.nurtured, lead_id)
        return None if raw is None else bytes(raw).decode()

    # --- batches --------------------------------------------------------------------------

    async def resolve_batch(self, messages: Sequence[Any]) -> None:
        """Identity agent: raw events and hops → assignments, hops, merges, resolved events."""
        started, generation, now = time.perf_counter(), self.app.consumer_generation_id, _now()
        table, fx = Overlay(self.read_identity), Effects()
        for message in messages:
            record = _record(message)
            decide = (
                self.resolver.on_raw if record.topic == self.raw_topic else self.resolver.on_hop
            )
            _guarded(lambda: decide(record, table, fx, now), record, fx, now)  # noqa: B023
        changes = {key: lead.encode() for key, lead in table.changed.items()}
        stored = await self._publish_then_store(fx, [(self.identities, changes)], generation)
        self._done("identity", messages, stored, fx, started)

    async def score_batch(self, messages: Sequence[Any]) -> None:
        """Scoring agent: lead inputs → lead states, scores, promotions, merges, nurture."""
        started, generation, now = time.perf_counter(), self.app.consumer_generation_id, _now()
        leads = Overlay(self.read_lead)
        tables = Tables(leads, Overlay(self.read_lead_identities), Overlay(self.read_nurtured))
        fx = Effects()
        for message in messages:
            record = _record(message)
            if record.topic == self.erasure_topic:
                decide = lambda: self.folder.on_erasure(record, fx, now)  # noqa: B023, E731
            else:
                decide = lambda: self.folder.on_input(record, tables, fx, now)  # noqa: B023, E731
            _guarded(decide, record, fx, now)
        states = {lead_id: codec.encode(state) for lead_id, state in leads.changed.items()}
        keys = {k: orjson.dumps(v) for k, v in tables.identities.changed.items()}
        nurtured = {k: v.encode() for k, v in tables.nurtured.changed.items()}
        writes = [(self.leads, states), (self.lead_identities, keys), (self.nurtured, nurtured)]
        stored = await self._publish_then_store(fx, writes, generation)
        if stored:
            for lead_id, raw in states.items():
                self._remember(lead_id, raw, leads.changed[lead_id])
            now_us = int(now.timestamp() * 1_000_000)
            for lead_id, keep in fx.schedule.items():
                self.due.schedule(self.partition_of(lead_id), lead_id, now_us, keep)
        self._done("score", messages, stored, fx, started)

    async def _publish_then_store(
        self, fx: Effects, writes: list[tuple[Any, dict[str, bytes]]], generation: int
    ) -> bool:
        """Publish and await every send, then write the tables (and their changelogs)."""
        try:
            # the transaction manager under exactly_once (sends grouped by partition), else the
            # plain producer
            producer = await self.app.maybe_start_producer()
            hashed, by_topic = self.hashed, dict[str, list[OutRecord]]()
            for s in fx.sends:
                by_topic.setdefault(self.names[s.out], []).append(
                    (
                        # aiokafka's partitioner hashes every key in Python; ours caches the hash
                        self.partition_of(s.key)
                        if s.partition is None and s.key is not None and s.out in hashed
                        else s.partition,
                        None if s.key is None else s.key.encode(),
                        s.value,
                    )
                )
            pending = [
                sent
                for topic, records in by_topic.items()
                for sent, _ in await self._produce(producer, topic, records)
            ]
            if pending:
                await asyncio.gather(*pending)
            if generation != self.app.consumer_generation_id:
                log.warning("rebalanced mid-batch: the new owner redoes it from its table")
                return False
            await self._store(producer, writes)
        except asyncio.CancelledError:
            raise
        except Exception:  # the broker refused: never let Faust ack what was not stored
            log.critical(
                "could not publish or store a batch; exiting to be restarted", exc_info=True
            )
            logging.shutdown()
            os._exit(CRASHED)
        return True

    async def _store(self, producer: Any, writes: list[tuple[Any, dict[str, bytes]]]) -> None:
        """Write table values and send their changelog records straight to the producer.

        Faust's own path (`table[key] = value`) queues each record in its producer buffer, which
        is drained one awaited send at a time and capped at 100 pending: it was the worker's
        bottleneck. In memory the values are set at once and the records are not awaited: Faust
        flushes the producer before it commits any offset, so a committed input always has its
        table writes stored, and a record the broker finally refuses stops the process before
        anything else is committed. On disk (`scoring.worker.store`) the values are written once the
        records are acknowledged, with their offsets: a database never runs ahead of its log.
        """
        acked: list[tuple[Any, dict[str, bytes], list[tuple[Any, int]]]] = []
        for table, changes in writes:
            if not changes:
                continue
            topic = table.changelog_topic.get_topic_name()
            records = [(self.partition_of(k), k.encode(), v) for k, v in changes.items()]
            if is_durable(table):
                acked.append((table, changes, await self._produce(producer, topic, records)))
                continue
            table.data.update(changes)  # the store itself: no second record from Faust
            for sent, _ in await self._produce(producer, topic, records):
                sent.add_done_callback(_fatal_if_failed)
        for table, changes, sends in acked:
            results = await asyncio.gather(*(sent for sent, _ in sends))
            last: dict[int, int] = {}  # partition → offset of its last record
            for result, (_, n) in zip(results, sends, strict=True):
                offset = result.offset + n - 1  # a record batch's offset is its first record's
                last[result.partition] = max(last.get(result.partition, -1), offset)
            by_partition: dict[int, dict[str, bytes]] = {}
            for key, value in changes.items():
                by_partition.setdefault(self.partition_of(key), {})[key] = value
            for partition, part in by_partition.items():
                table.data.write_acked(partition, part, last[partition])

    async def _produce(
        self, producer: Any, topic: str, records: Sequence[OutRecord]
    ) -> list[tuple[Any, int]]:
        """Send (partition, key, value) records to `topic` in order: (future, records) each.

        Under at_least_once a partition's records go out as record batches
        (runtime/record_batches.py); under exactly_once, and where the partition is left to
        aiokafka, one send each (the transaction manager groups them itself).
        """
        if not self.batched:
            return [(await producer.send(topic, k, v, p, None, None), 1) for p, k, v in records]
        single: list[OutRecord] = []
        shares: dict[int, list[tuple[bytes | None, bytes | None, Headers]]] = {}
        for partition, key, value in records:
            if partition is None:
                single.append((partition, key, value))
            else:
                shares.setdefault(partition, []).append((key, value, []))
        sent = [(await producer.send(topic, k, v, p, None, None), 1) for p, k, v in single]
        plain = producer._ensure_producer()  # aiokafka's producer under Faust's
        for partition, share in shares.items():
            for batch in record_batches(share):
                future = await plain.send_batch(batch, topic, partition=partition)
                sent.append((future, batch.record_count()))
        return sent

    def _done(
        self, agent: str, messages: Sequence[Any], stored: bool, fx: Effects, started: float
    ) -> None:
        """Ack a stored batch's records (their offsets may be committed) and count it.

        A batch not stored (rebalanced mid-batch) is dropped unacked: its offsets are never
        committed, so the partition's owner reads it again from the committed offset.
        """
        intake = self.app.intakes[messages[0].topic]  # an intake never hands over an empty batch
        if not stored:
            intake.drop(messages)
        else:
            for message in messages:
                self.processed[(message.topic, message.partition)] = message.offset + 1
            intake.done(messages)
        telemetry.record(fx.counts, fx.scored_received_at)
        telemetry.BATCH.labels(agent).observe(time.perf_counter() - started)
        telemetry.BATCH_SIZE.labels(agent).observe(len(messages))


def _fatal_if_failed(sent: asyncio.Future[Any]) -> None:
    if not sent.cancelled() and sent.exception() is not None:
        log.critical(
            "a changelog record was refused; exiting to be restarted: %r", sent.exception()
        )
        logging.shutdown()
        os._exit(CRASHED)


def _now() -> datetime:
    return datetime.now(UTC)


def _record(message: Any) -> Record:
    return Record(message.topic, message.partition, message.offset, message.value)


def _guarded(decide: Callable[[], None], record: Record, fx: Effects, now: datetime) -> None:
    """A record the pure code cannot handle goes to dead letters instead of stopping the worker."""
    mark = fx.mark()
    try:
        decide()
    except Exception as error:
        log.exception("dead-lettering %s[%d]@%d", record.topic, record.partition, record.offset)
        fx.rollback(mark)
        fx.dead_letter(dead_letter(record, error, now))

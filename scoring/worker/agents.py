"""The Faust agents and timers: short loops that hand batches to the worker's pure deciders."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from scoring.model.effects import Out
from scoring.model.messages import SweepLeads, encode
from scoring.worker import codec, telemetry
from scoring.worker.app import ScoringWorker
from scoring.worker.store import partition_items, table_size

SWEEP_CHUNK = 500  # leads per logged sweep message
GAUGE_SECONDS = 5.0


async def run_to_completion(work: Awaitable[None]) -> None:
    """Finish a started batch even when the agent is cancelled (a graceful stop), then stop.

    A batch's records are acked once it is done (`ScoringWorker._done`); a batch cut short by
    cancellation would be acked half-stored.
    """
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True
    task.result()
    if cancelled:
        raise asyncio.CancelledError


def register(w: ScoringWorker) -> None:
    """Attach the identity agent, the scoring agent, the sweep timer and the gauges to the app."""
    app, config = w.app, w.config
    raw_and_hops = app.topic(w.raw_topic, w.names[Out.HOPS], key_type=bytes, value_type=bytes)
    lead_inputs = app.topic(
        w.names[Out.LEAD_INPUTS], w.erasure_topic, key_type=bytes, value_type=bytes
    )
    within = config.batch_within_seconds
    resolving = w.intake(raw_and_hops)
    scoring = w.intake(lead_inputs)

    @app.agent(raw_and_hops, name="resolve-identities")
    async def resolve_identities(stream: Any) -> None:
        aiter(stream.channel)  # subscribes its topics; the records arrive through the intake
        while True:
            await run_to_completion(w.resolve_batch(await resolving.take(within)))

    @app.agent(lead_inputs, name="score-leads")
    async def score_leads(stream: Any) -> None:
        aiter(stream.channel)
        while True:
            await run_to_completion(w.score_batch(await scoring.take(within)))

    @app.timer(config.sweep_interval_seconds, name="log-due-sweeps")  # type: ignore[untyped-decorator]
    async def log_due_sweeps() -> None:
        if w.is_ready():
            await sweep_due(w)

    @app.task  # type: ignore[untyped-decorator]
    async def load_changelog_metadata() -> None:
        # table_route asks the producer's metadata for the partition of a key's changelog; after
        # a restart from the disk store no changelog record may have been sent yet to load it
        await app.producer.maybe_start()  # the plain producer table_route asks, even under EOS
        producer = app.producer._ensure_producer()  # type: ignore[attr-defined]
        for table in (w.identities, w.leads, w.lead_identities, w.nurtured):
            await producer.partitions_for(table.changelog_topic.get_topic_name())
        w.routable = True
        counts = {out: len(await producer.partitions_for(name)) for out, name in w.names.items()}
        w.hashed = frozenset(out for out, n in counts.items() if n == w.partitions)

    @app.timer(GAUGE_SECONDS, name="gauges")  # type: ignore[untyped-decorator]
    async def gauges() -> None:
        await update_gauges(w)


def _own_partitions(w: ScoringWorker, topic: str) -> set[int]:
    return {tp.partition for tp in w.app.consumer.assignment() if tp.topic == topic}


async def reseed(w: ScoringWorker, mine: set[int]) -> None:
    """After a rebalance: forget lost partitions, index the live leads of gained ones."""
    known = w.due.partitions()
    w.due.forget(known - mine)
    gained = mine - known
    if not gained:
        return
    found: dict[int, list[str]] = {partition: [] for partition in gained}
    for n, (partition, lead_id, raw) in enumerate(partition_items(w.leads, gained)):
        if not codec.is_merged(bytes(raw)):
            found[partition].append(lead_id)
        if n % 5000 == 4999:
            await asyncio.sleep(0)  # let the agents run while a big table is indexed
    now_us = int(datetime.now(UTC).timestamp() * 1_000_000)
    for partition, lead_ids in found.items():
        w.due.seed(partition, lead_ids, now_us)


async def sweep_due(w: ScoringWorker) -> None:
    """Log a sweep of the due leads to each owned partition; the scoring agent applies it."""
    topic = w.names[Out.LEAD_INPUTS]
    mine = _own_partitions(w, topic)
    await reseed(w, mine)
    now = datetime.now(UTC)
    now_us = int(now.timestamp() * 1_000_000)
    pending = []
    for partition in sorted(mine):
        while lead_ids := w.due.pop_due(partition, now_us, SWEEP_CHUNK):
            value = encode(SweepLeads(now=now, lead_ids=tuple(lead_ids)))
            pending.append(await w.app.producer.send(topic, None, value, partition, None, None))
    if pending:
        await asyncio.gather(*pending)


async def update_gauges(w: ScoringWorker) -> None:
    """Consumer lag per input partition, table sizes, sweep index size."""
    inputs = {w.raw_topic, w.names[Out.HOPS], w.names[Out.LEAD_INPUTS]}
    consumer = w.app.consumer
    for tp in consumer.assignment():
        if tp.topic not in inputs:
            continue
        with contextlib.suppress(Exception):  # no highwater yet for a fresh assignment
            end = consumer.highwater(tp)
            position = w.processed.get((tp.topic, tp.partition))
            if position is None:
                position = await consumer.position(tp)
            if end is not None and position is not None:
                telemetry.LAG.labels(tp.topic, str(tp.partition)).set(max(0, end - position))
    for name, table in (
        ("identities", w.identities),
        ("leads", w.leads),
        ("lead_identities", w.lead_identities),
        ("nurtured", w.nurtured),
    ):
        keys, size = table_size(table)  # no full scan on disk
        telemetry.TABLE_KEYS.labels(name).set(keys)
        telemetry.TABLE_BYTES.labels(name).set(size)
    telemetry.DUE.set(len(w.due))

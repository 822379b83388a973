"""Scoring worker recovery at scale: `python -m bench scoring --recovery --leads 1000000`.

Writes the tables' changelogs of `--leads` leads straight to Kafka (typical 5-event lead states
encoded by `scoring.worker.codec`, one identity key each), then times a worker from start to
`/readyz` (partitions assigned, tables recovered) with the memory store (the whole changelog is
read), with RocksDB on an empty data directory (the same, written to disk), and with RocksDB after
a SIGKILL and a tail of `--tail` changed leads (the local store plus the changelog tail), with the
RSS of each, and of an idle worker on empty tables.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from bench.ingest import drop_topics, start_ready
from bench.scoring import backlog, decide_only, free_port, rss_mib, stop
from runtime.kafka_admin import wait_for_broker
from scoring.model.state import LeadState
from scoring.wiring import scoring_config
from scoring.worker import codec
from scoring.worker.provision import prepare_topics
from scoring.worker.topics import app_id
from services.settings import Settings


def templates() -> list[LeadState]:
    """1,000 lead states after the bench's five events each (what the worker would store)."""
    events = backlog(1000, 5, datetime.now(UTC) - timedelta(days=1))
    return list(decide_only(events)[1].values())


async def write_changelogs(
    settings: Settings, partitions: int, first: int, count: int, version: int
) -> None:
    """Leads `first`… with their identity entries, as the worker's changelog records."""
    app = app_id(settings.topic_prefix)
    shapes = templates()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, linger_ms=20, max_batch_size=512 * 1024
    )
    await producer.start()
    try:
        pending = []
        for n in range(first, first + count):
            lead_id, key = f"bench-lead-{n}", f"anonymous_id:bench-visitor-{n}"
            state = msgspec.structs.replace(shapes[(n + version) % len(shapes)], lead_id=lead_id)
            for table, k, value in (
                ("leads", lead_id, codec.encode(state)),
                ("identities", key, lead_id.encode()),
                ("lead_identities", lead_id, orjson.dumps([key])),
            ):
                partition = (murmur2(k.encode()) & 0x7FFFFFFF) % partitions
                topic = f"{app}-{table}-changelog"
                pending.append(await producer.send(topic, value, k.encode(), partition))
            if len(pending) >= 30_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def start(
    settings: Settings, store: str, data: str, port: int
) -> tuple[float, subprocess.Popen[bytes]]:
    """Seconds from process start to /readyz, and the process."""
    env = {
        **os.environ,
        "LEADFUNNEL_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LEADFUNNEL_TOPIC_PREFIX": settings.topic_prefix,
        "LEADFUNNEL_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "LEADFUNNEL_SCORING_WEB_PORT": str(port),
        "LEADFUNNEL_SCORING_STORE": store,
        "LEADFUNNEL_SCORING_DATA_DIR": data,
        "LEADFUNNEL_SCORING_SESSION_TIMEOUT_SECONDS": "6",
        "LEADFUNNEL_SCORING_REBALANCE_TIMEOUT_SECONDS": "10",
        "LEADFUNNEL_SCORING_SWEEP_INTERVAL_SECONDS": "3600",
        "LEADFUNNEL_LOG_LEVEL": "warning",
    }
    started = time.perf_counter()
    process = start_ready("scoring", env, port, timeout=1200)
    return time.perf_counter() - started, process


def main(leads: int, tail: int, partitions: int) -> int:
    """Run the three recoveries and print a table."""
    base = Settings()
    wait_for_broker(base.kafka_bootstrap, timeout=15)
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    settings = base.model_copy(update={"topic_prefix": prefix, "topic_partitions": partitions})
    idle = settings.model_copy(update={"topic_prefix": f"{prefix}idle."})
    prepare_topics(scoring_config(settings))
    prepare_topics(scoring_config(idle))
    data = tempfile.mkdtemp(prefix="scoring-recovery-", dir=".cache")
    rows: list[tuple[str, float, float]] = []
    try:
        for store in ("memory", "rocksdb"):
            seconds, process = start(idle, store, f"{data}/idle-{store}", free_port())
            label = f"idle worker, empty tables, {store} store"
            rows.append((label, seconds, rss_mib(process.pid)))
            stop(process)
        began = time.perf_counter()
        asyncio.run(write_changelogs(settings, partitions, 0, leads, 0))
        print(f"wrote {leads:,} leads' changelogs in {time.perf_counter() - began:.0f} s")
        seconds, process = start(settings, "memory", f"{data}/memory", free_port())
        label = f"memory store, {leads:,} leads, whole changelog"
        rows.append((label, seconds, rss_mib(process.pid)))
        stop(process)
        seconds, process = start(settings, "rocksdb", f"{data}/rocksdb", free_port())
        label = f"RocksDB, empty data dir, {leads:,} leads, whole changelog"
        rows.append((label, seconds, rss_mib(process.pid)))
        process.kill()  # a crash: no flush, no goodbye
        process.wait()
        asyncio.run(write_changelogs(settings, partitions, 0, tail, 1))
        seconds, process = start(settings, "rocksdb", f"{data}/rocksdb", free_port())
        label = f"RocksDB after SIGKILL, {leads:,} leads, local store + {tail:,}-lead tail"
        rows.append((label, seconds, rss_mib(process.pid)))
        stop(process)
    finally:
        drop_topics(settings.kafka_bootstrap, prefix)
        shutil.rmtree(data, ignore_errors=True)
    print(f"topic prefix {prefix} ({partitions} partitions), {os.cpu_count()} cores")
    print("| worker start | to /readyz, s | RSS, MiB |\n|---|---:|---:|")
    for label, seconds, rss in rows:
        print(f"| {label} | {seconds:.1f} | {rss:,.0f} |")
    return 0

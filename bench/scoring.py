"""Scoring benchmark: scored events/s per worker vs a bare consume loop, HTTP→LeadPromoted latency,
memory per 100k leads. `python -m bench scoring --help`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import socket
import statistics
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.ingest import Connection, cpu_seconds, drop_topics, start_ready, start_server
from runtime.collector import tune_for_streaming
from runtime.kafka_admin import wait_for_broker
from schemas.events import Event, event_json, parse_event
from schemas.topics import PROMOTIONS, RAW_EVENTS
from scoring.model.decider import Folder, Tables
from scoring.model.effects import Effects, Out, Overlay
from scoring.model.messages import Handoff
from scoring.model.resolving import Record, Resolver
from scoring.model.rules import default_rules
from scoring.model.state import LeadState, to_json
from scoring.wiring import scoring_config
from scoring.worker import codec
from scoring.worker.provision import prepare_topics
from services.ingest.publisher import create_producer
from services.settings import Settings

KINDS: list[tuple[str, dict[str, Any] | None]] = [
    ("page_viewed", {"url": "https://x.cn/products/a", "dwell_seconds": 75}),
    ("email_opened", None),
    ("page_viewed", {"url": "https://x.cn/pricing", "dwell_seconds": 20}),
    ("video_watched", {"video_id": "v1", "percent": 70}),
    ("asset_downloaded", {"asset_id": "wp", "asset_kind": "whitepaper"}),
]


def backlog(leads: int, per_lead: int, start: datetime) -> list[Event]:
    """`per_lead` events for each of `leads` visitors, interleaved, one minute apart per lead."""
    events = []
    for step in range(per_lead):
        kind, properties = KINDS[step % len(KINDS)]
        at = (start + timedelta(minutes=step)).isoformat()
        for lead in range(leads):
            data: dict[str, Any] = {
                "event_id": f"bench-{lead}-{step}",
                "type": kind,
                "channel": "website",
                "occurred_at": at,
                "received_at": at,
                "source": "bench",
                "identities": {"anonymous_id": f"bench-visitor-{lead}"},
            }
            if properties is not None:
                data["properties"] = properties
            events.append(parse_event(data))
    return events


async def produce(settings: Settings, events: list[Event]) -> None:
    """Publish raw events with the ingest service's producer settings."""
    producer = create_producer(settings)
    await producer.start()
    try:
        topic = RAW_EVENTS.name(settings.topic_prefix)
        for start in range(0, len(events), 5000):
            chunk = events[start : start + 5000]
            futures = [
                await producer.send(
                    topic, event_json(e), key=(e.identities.strongest() or "").encode()
                )
                for e in chunk
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def bare_consume(settings: Settings, expected: int) -> tuple[float, float]:
    """Records/s of a bare aiokafka loop reading the same raw topic (no parsing, no group), and
    the CPU µs a record it cost this process."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    try:
        topic = RAW_EVENTS.name(settings.topic_prefix)
        tps = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        started, cpu, seen = time.perf_counter(), time.process_time(), 0
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            seen += sum(len(records) for records in batches.values())
        cpu_us = (time.process_time() - cpu) / seen * 1e6
        return seen / (time.perf_counter() - started), cpu_us
    finally:
        await consumer.stop()


def decide_only(events: list[Event]) -> tuple[float, dict[str, LeadState]]:
    """µs per event of the pure decisions alone (resolve + fold), tables in dicts, one partition.

    Batches as the worker's agents take them (`scoring_batch_size` records, one `Effects` and one
    table `Overlay` a batch, a `Handoff` shared by both): a batch of raw events is resolved, then
    the lead inputs it sent are folded. The raw records are encoded before the clock starts (the
    worker is handed bytes too); the clock is the process's CPU time, so other work on a shared
    machine does not count.
    """
    handoff = Handoff()  # as the worker wires them
    resolver = Resolver(lambda key: 0, handoff)
    folder = Folder(default_rules(), sweep_min_change=1.0, nurture=True, handoff=handoff)
    identities: dict[str, str] = {}
    leads: dict[str, LeadState] = {}
    raws = [Record("raw", 0, 0, event_json(event)) for event in events]
    size, now = Settings().scoring_batch_size, datetime.now(UTC)
    started = time.process_time()
    for start in range(0, len(raws), size):
        fx, table = Effects(), Overlay(identities.get)
        for raw in raws[start : start + size]:
            resolver.on_raw(raw, table, fx, now)
        identities |= table.changed
        tables = Tables(Overlay(leads.get), Overlay({}.get), Overlay({}.get))
        folded = Effects()
        for send in fx.sends:
            if send.out is Out.LEAD_INPUTS:
                folder.on_input(Record("in", 0, 0, send.value), tables, folded, now)
        leads |= tables.leads.changed
    return (time.process_time() - started) / len(events) * 1e6, leads


def state_bytes(leads: dict[str, LeadState]) -> tuple[float, float]:
    """Mean table value size per lead: the table's codec, and the JSON the table held before."""
    packed = statistics.mean(len(codec.encode(state)) for state in leads.values())
    return packed, statistics.mean(len(to_json(state)) for state in leads.values())


def parse_only(events: list[Event]) -> float:
    """µs per event of one pydantic parse of each raw event, CPU time: the same run's reference
    for the pure decisions (it moves with the machine's speed as they do)."""
    raws = [event_json(event) for event in events]
    started = time.process_time()
    for raw in raws:
        parse_event(raw)
    return (time.process_time() - started) / len(raws) * 1e6


def pure_part(per_lead: int) -> list[str]:
    """Table rows of the pure decisions for 5,000 events of `per_lead`-event leads (no broker)."""
    leads = max(1, 5000 // per_lead)
    events = backlog(leads, per_lead, datetime.now(UTC) - timedelta(days=1))
    decide_only(events[:500])  # warm-up: first-use caches (rules, pydantic, msgspec)
    default_us = min(decide_only(events)[0] for _ in range(3))
    before = tune_for_streaming()  # the collector as the worker runs it (runtime/collector.py)
    try:
        decide_us = min(decide_only(events)[0] for _ in range(3))
        parse_us = min(parse_only(events) for _ in range(3))
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    packed, json = state_bytes(decide_only(events)[1])
    random_ids = [e.model_copy(update={"event_id": str(uuid.uuid4())}) for e in events]
    with_uuids, _ = state_bytes(decide_only(random_ids)[1])
    label = f"{leads:,} leads × {per_lead} events"
    return [
        f"| pure decisions alone (resolve + fold), µs/event, {label}, best of 3, CPython's "
        f"default collector / the worker's / ratio | {default_us:.1f} / {decide_us:.1f} / "
        f"{decide_us / default_us:.2f} |",
        f"| reference: one pydantic parse of the raw event, µs (best of 3) / the pure decisions "
        f"(the worker's collector) in parses, {label} | {parse_us:.1f} / "
        f"{decide_us / parse_us:.1f} |",
        f"| lead state, bytes per lead, table value (bench ids / random UUID ids) / as JSON, "
        f"{label} | {packed:,.0f} / {with_uuids:,.0f} / {json:,.0f} |",
    ]


def free_port() -> int:
    """A TCP port nobody listens on right now (fixed ports collide with other test runs)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_worker(settings: Settings, port: int, guarantee: str) -> subprocess.Popen[bytes]:
    """`python -m scoring` with short group timeouts, waiting until it is ready."""
    env = {
        **os.environ,
        "LEADFUNNEL_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LEADFUNNEL_TOPIC_PREFIX": settings.topic_prefix,
        "LEADFUNNEL_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "LEADFUNNEL_SCORING_WEB_PORT": str(port),
        "LEADFUNNEL_SCORING_PROCESSING_GUARANTEE": guarantee,
        "LEADFUNNEL_SCORING_SESSION_TIMEOUT_SECONDS": "6",
        "LEADFUNNEL_SCORING_REBALANCE_TIMEOUT_SECONDS": "10",
        "LEADFUNNEL_SCORING_SWEEP_INTERVAL_SECONDS": "3600",
        "LEADFUNNEL_LOG_LEVEL": "warning",
    }
    return start_ready("scoring", env, port, timeout=60)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def metric(port: int, name: str, labels: str = "") -> float:
    """One sample of the worker's /metrics (0 when absent)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    pattern = rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def rss_mib(pid: int) -> float:
    """Resident set size of a process, MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_scored(port: int, expected: int, timeout: float) -> float:
    """Seconds until the worker has accepted `expected` events."""
    started = time.perf_counter()
    accepted = '{admission="accepted"}'
    while metric(port, "leadfunnel_scoring_events_total", accepted) < expected:
        if time.perf_counter() - started > timeout:
            raise TimeoutError(
                f"scored {metric(port, 'leadfunnel_scoring_events_total', accepted)} of {expected}"
            )
        time.sleep(0.25)
    return time.perf_counter() - started


async def promotion_latency(
    settings: Settings, ingest_port: int, rate: float, seconds: float
) -> list[float]:
    """HTTP accept (200) → LeadPromoted read from the topic, per promotion, at a fixed rate."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    topic = PROMOTIONS.name(settings.topic_prefix)
    tps = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    accepted: dict[str, float] = {}
    seen: dict[str, float] = {}
    total = int(rate * seconds)
    steps = [
        ("form_submitted", {"form_id": "f"}),
        ("video_watched", {"video_id": "v", "percent": 90}),
    ]
    steps.append(steps[1])  # form + two videos = MQL at the third event

    async def watch() -> None:
        while len(seen) < total // 3 or len(seen) < len(accepted) // 3:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                now = time.perf_counter()
                for record in records:
                    seen.setdefault(orjson.loads(record.value or b"{}")["trigger_event_id"], now)

    async def post(connection: Connection, index: int) -> None:
        kind, properties = steps[index % 3]
        event_id = f"lat-{index}"
        body = {
            "event_id": event_id,
            "type": kind,
            "channel": "website",
            "identities": {"anonymous_id": f"lat-visitor-{index // 3}"},
            "properties": properties,
        }
        status, answer = await connection.post("/v1/events", orjson.dumps(body))
        assert status == 200, answer[:300]
        accepted[event_id] = time.perf_counter()

    watcher = asyncio.create_task(watch())
    connections = [await Connection.open(ingest_port) for _ in range(32)]
    locks = [asyncio.Lock() for _ in connections]

    async def send(index: int) -> None:
        slot = index % len(connections)
        async with locks[slot]:  # one request at a time per keep-alive connection
            await post(connections[slot], index)

    started, tasks = time.perf_counter(), []
    for index in range(total - total % 3):
        await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(send(index)))
    await asyncio.gather(*tasks)
    await asyncio.wait_for(watcher, timeout=120)
    for connection in connections:
        connection.close()
    await consumer.stop()
    return [seen[e] - accepted[e] for e in seen if e in accepted]


def main(argv: list[str]) -> int:
    """`python -m bench scoring [--leads N] [--events-per-lead K] [--rate R] [--seconds S]`."""
    parser = argparse.ArgumentParser(prog="python -m bench scoring")
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--events-per-lead", type=int, default=5)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--rate", type=float, default=150.0, help="offered events/s over HTTP")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--guarantee", default="at_least_once")
    parser.add_argument(
        "--pure-only", action="store_true", help="only the pure decisions and state sizes"
    )
    parser.add_argument(
        "--recovery",
        action="store_true",
        help="only worker recovery of --leads leads: memory vs RocksDB (bench/scoring_recovery.py)",
    )
    parser.add_argument("--tail", type=int, default=10_000, help="--recovery: leads changed")
    args = parser.parse_args(argv)
    if args.recovery:
        from bench import scoring_recovery  # imports this module: not at the top

        return scoring_recovery.main(args.leads, args.tail, args.partitions)
    if args.pure_only:
        print("| measure | value |\n|---|---|")
        for per_lead in (1, 5, 10, 20):
            print("\n".join(pure_part(per_lead)))
        return 0

    base = Settings()
    wait_for_broker(base.kafka_bootstrap, timeout=15)
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    settings = base.model_copy(update={"topic_prefix": prefix, "topic_partitions": args.partitions})
    prepare_topics(scoring_config(settings))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        events = backlog(args.leads, args.events_per_lead, datetime.now(UTC) - timedelta(days=1))
        decide_us = decide_only(events[: min(len(events), 5000)])[0]
        pure_rows = pure_part(args.events_per_lead)
        asyncio.run(produce(settings, events))
        # The backlog this process holds (100,000s of parsed events) is not the bare loop's
        # work: out of the collector's scans, as a worker's start-up objects are.
        gc.collect()
        gc.freeze()
        bare, bare_cpu = asyncio.run(bare_consume(settings, len(events)))
        idle = settings.model_copy(update={"topic_prefix": f"{prefix}idle."})
        processes.append(start_worker(idle, free_port(), args.guarantee))
        idle_rss = rss_mib(processes[-1].pid)  # ready, empty tables (its own empty topics)
        stop(processes.pop())
        port, ingest_port = free_port(), free_port()
        processes.append(start_worker(settings, port, args.guarantee))
        cpu = cpu_seconds(processes[-1].pid)  # ready: start-up and recovery are not counted
        seconds = wait_scored(port, len(events), timeout=1800)
        scored = len(events) / seconds
        worker_cpu = (cpu_seconds(processes[-1].pid) - cpu) / len(events) * 1e6
        full_rss = rss_mib(processes[-1].pid)
        time.sleep(6)  # one gauge tick after the last batch
        table = {
            name: metric(port, "leadfunnel_scoring_table_bytes", f'{{table="{name}"}}')
            for name in ("leads", "identities", "lead_identities")
        }
        processes.append(start_server(settings, ingest_port))
        latencies = asyncio.run(promotion_latency(settings, ingest_port, args.rate, args.seconds))
    finally:
        for process in processes:
            stop(process)
        drop_topics(settings.kafka_bootstrap, prefix)
    per_100k = (full_rss - idle_rss) / args.leads * 100_000
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    cores = os.cpu_count()
    print(f"topic prefix {prefix} ({args.partitions} partitions), {cores} cores, {args.guarantee}")
    print("| measure | value |\n|---|---|")
    print(f"| bare aiokafka consume loop, records/s | {bare:,.0f} |")
    print(
        f"| scoring worker (1 process), scored events/s, {len(events):,} backlog | {scored:,.0f} |"
    )
    print(f"| ratio worker / bare consume | {scored / bare:.3f} |")
    print(
        f"| CPU µs per record: bare loop / worker (whole process, per scored event) / ratio | "
        f"{bare_cpu:.1f} / {worker_cpu:.0f} / {bare_cpu / worker_cpu:.3f} |"
    )
    print(f"| pure decisions alone (resolve + fold), µs/event | {decide_us:.0f} |")
    print("\n".join(pure_rows))
    offered = f"{args.rate:g} events/s offered"
    print(f"| HTTP accept → LeadPromoted p50 / p99, ms ({offered}) | {p50:.0f} / {p99:.0f} |")
    print(f"| promotions measured | {len(latencies)} |")
    print(f"| worker RSS idle / with {args.leads:,} leads, MiB | {idle_rss:.0f} / {full_rss:.0f} |")
    print(
        f"| memory per 100k leads (RSS growth ÷ leads; at this size mostly bounded caches, "
        f"`--recovery --leads 1000000` for the real slope), MiB | {per_100k:,.0f} |"
    )
    for name, size in table.items():
        mib = size / args.leads * 100_000 / 2**20
        print(f"| table `{name}` values per 100k leads, MiB | {mib:,.0f} |")
    return 0

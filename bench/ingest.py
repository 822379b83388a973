"""Ingest benchmark: batch events/s vs a bare aiokafka loop, single-event req/s, p99 latency."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from kafka.admin import KafkaAdminClient

from runtime.kafka_admin import ensure_topics, wait_for_broker
from schemas.events import event_json
from schemas.topics import ALL_TOPICS, RAW_EVENTS
from services.ingest.envelope import Stamp
from services.ingest.native import native_event
from services.ingest.publisher import create_producer, headers
from services.pii import PiiHasher
from services.settings import Settings, WriteKey, sha256_hex

BENCH_KEY = "wk_bench"
AUTH = "Basic " + base64.b64encode(f"{BENCH_KEY}:".encode()).decode()


def sample_event(index: int) -> dict[str, Any]:
    """A native page view (~350 bytes) from one of 5,000 visitors; every 10th carries an email."""
    identities: dict[str, str] = {"anonymous_id": f"anon-{index % 5000}"}
    if index % 10 == 0:
        identities["email"] = f"User{index}@Example.cn"
    return {
        "event_id": f"bench-{index}",
        "type": "page_viewed",
        "channel": "website",
        "identities": identities,
        "properties": {"url": f"https://example.cn/products/{index % 50}", "dwell_seconds": 12.5},
        "context": {"userAgent": "Mozilla/5.0 (bench)", "locale": "zh-CN"},
    }


async def run_concurrently(jobs: list[Callable[[], Awaitable[None]]], concurrency: int) -> float:
    """Run the jobs with at most `concurrency` in flight; seconds taken."""
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            await queue.pop()()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux `/proc/<pid>/stat`)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def bare_producer(
    settings: Settings, events: int, batch: int, concurrency: int
) -> tuple[float, float]:
    """Events/s of aiokafka alone (the same bytes, keys, headers and producer settings), and the
    CPU µs an event it cost this process."""
    stamp = Stamp(datetime.now(UTC), "bench", PiiHasher(settings.pii_hmac_secret))
    records = []
    for index in range(events):
        event = native_event(sample_event(index), stamp)
        assert not isinstance(event, Exception) and hasattr(event, "identities")
        key = event.identities.strongest()
        records.append((event_json(event), key.encode() if key else None, headers(event)))  # type: ignore[arg-type]
    producer = create_producer(settings)
    topic = RAW_EVENTS.name(settings.topic_prefix)
    await producer.start()
    try:

        def job(chunk: list[Any]) -> Callable[[], Awaitable[None]]:
            async def send() -> None:
                futures = [
                    await producer.send(topic, value=v, key=k, headers=h) for v, k, h in chunk
                ]
                await asyncio.gather(*futures)

            return send

        chunks = [records[i : i + batch] for i in range(0, events, batch)]
        cpu = time.process_time()
        seconds = await run_concurrently([job(chunk) for chunk in chunks], concurrency)
        cpu = time.process_time() - cpu
    finally:
        await producer.stop()
    return events / seconds, cpu / events * 1e6


class Connection:
    """A minimal HTTP/1.1 keep-alive client: httpx's own overhead would be measured instead."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        """Connect to the local server."""
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """POST JSON with the bench key; the status and body of the answer."""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        """Close the connection."""
        self.writer.close()


async def http_batches(ports: list[int], events: int, batch: int, concurrency: int) -> float:
    """Events/s through POST /v1/events/batch (every answer must be 200); the connections take
    the service's ports (its replicas) in turn."""
    bodies = [
        json.dumps({"events": [sample_event(i) for i in range(s, min(s + batch, events))]}).encode()
        for s in range(0, events, batch)
    ]
    connections = [await Connection.open(ports[i % len(ports)]) for i in range(concurrency)]

    async def worker(connection: Connection) -> None:
        while bodies:
            status, answer = await connection.post("/v1/events/batch", bodies.pop())
            assert status == 200, answer[:300]

    started = time.perf_counter()
    await asyncio.gather(*(worker(connection) for connection in connections))
    seconds = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return events / seconds


async def http_singles(port: int, requests: int, concurrency: int) -> tuple[float, list[float]]:
    """Requests/s through POST /v1/events and each request's latency in seconds."""
    bodies = [json.dumps(sample_event(10_000_000 + i)).encode() for i in range(requests)]
    latencies: list[float] = []
    connections = [await Connection.open(port) for _ in range(concurrency)]

    async def worker(connection: Connection) -> None:
        while bodies:
            body = bodies.pop()
            sent = time.perf_counter()
            status, answer = await connection.post("/v1/events", body)
            latencies.append(time.perf_counter() - sent)
            assert status == 200, answer[:300]

    started = time.perf_counter()
    await asyncio.gather(*(worker(connection) for connection in connections))
    seconds = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return requests / seconds, latencies


def start_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """The ingest service in its own process (as deployed), with a bench key of no real limit."""
    key = WriteKey(name="bench", sha256=sha256_hex(BENCH_KEY), rate_per_second=10_000_000)
    env = {
        **os.environ,
        "LEADFUNNEL_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LEADFUNNEL_TOPIC_PREFIX": settings.topic_prefix,
        "LEADFUNNEL_INGEST_PORT": str(port),
        "LEADFUNNEL_WRITE_KEYS": json.dumps([key.model_dump()]),
        "LEADFUNNEL_LOG_LEVEL": "warning",
        "LEADFUNNEL_DEV_MODE": "1",  # the PII secrets stay at their development defaults
    }
    return start_ready("services.ingest", env, port, timeout=30)


def start_ready(
    module: str, env: dict[str, str], port: int, timeout: float
) -> subprocess.Popen[bytes]:
    """`python -m module` in its own process, once its /readyz on `port` answers 200."""
    process = subprocess.Popen([sys.executable, "-m", module], env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise TimeoutError(f"{module} did not become ready within {timeout:.0f} s")


def drop_topics(bootstrap: str, prefix: str) -> None:
    """Delete the benchmark's own topics: the shared broker keeps no leftovers."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.delete_topics([topic for topic in admin.list_topics() if topic.startswith(prefix)])
    finally:
        admin.close()


def main(argv: list[str]) -> int:
    """`python -m bench ingest [--events N] [--batch B] [--concurrency C] [--singles N]`."""
    parser = argparse.ArgumentParser(prog="python -m bench ingest")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--singles", type=int, default=5_000)
    parser.add_argument("--single-concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=18_000)
    parser.add_argument(
        "--replicas", type=int, default=1, help="ingest processes (ports --port, --port + 1, …)"
    )
    args = parser.parse_args(argv)

    base = Settings()
    wait_for_broker(base.kafka_bootstrap, timeout=15)
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    ensure_topics(base.kafka_bootstrap, ALL_TOPICS, prefix, base.topic_partitions, 1)
    settings = base.model_copy(update={"topic_prefix": prefix})
    bare, bare_us = asyncio.run(bare_producer(settings, args.events, args.batch, args.concurrency))
    ports = [args.port + index for index in range(args.replicas)]
    servers = [start_server(settings, port) for port in ports]
    try:
        asyncio.run(http_batches(ports, min(args.events, 5_000), args.batch, args.concurrency))
        cpu = sum(cpu_seconds(server.pid) for server in servers)
        batched = asyncio.run(http_batches(ports, args.events, args.batch, args.concurrency))
        service_us = (sum(cpu_seconds(s.pid) for s in servers) - cpu) / args.events * 1e6
        singles, latencies = asyncio.run(
            http_singles(ports[0], args.singles, args.single_concurrency)
        )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
        drop_topics(settings.kafka_bootstrap, prefix)
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    p50 = statistics.median(latencies) * 1000
    print(f"topic prefix {prefix} ({settings.topic_partitions} partitions), {os.cpu_count()} cores")
    print("| measure | value |\n|---|---|")
    print(
        f"| bare aiokafka loop, events/s (batches of {args.batch}, {args.concurrency} in flight) "
        f"| {bare:,.0f} |"
    )
    replicas = f", {args.replicas} ingest processes" if args.replicas > 1 else ""
    print(f"| POST /v1/events/batch, events/s (same batching{replicas}) | {batched:,.0f} |")
    print(f"| ratio ingest / bare producer | {batched / bare:.2f} |")
    print(
        f"| CPU µs an event: bare loop (its process) / ingest service (batch phase) / ratio | "
        f"{bare_us:.1f} / {service_us:.1f} / {bare_us / service_us:.2f} |"
    )
    print(f"| POST /v1/events, requests/s ({args.single_concurrency} in flight) | {singles:,.0f} |")
    print(f"| accept latency p50 / p99, ms | {p50:.1f} / {p99:.1f} |")
    return 0

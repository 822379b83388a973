"""Projector scale-out benchmark: messages/s with 1 and 2 projector processes, against COPY.

    python -m bench projector                     # defaults: --leads 10000 --events-per-lead 10

Publishes `--leads` leads' worth of contract messages (the funnel benchmark's generator) to
fresh 4-partition topics once. Then, for each process count, starts that many
`python -m funnel.projector` processes (as deployed: a consumer group sharing the partitions)
on an empty schema of their own and clocks from the first stored position to the last: the
processes' start-up and group join are not counted. Finally the timeline rows are COPYed into an
empty copy of `lead_events`: the ratio projector ÷ COPY is the figure that holds on a shared
machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.funnel import _delete_topics, contract_messages, publish
from funnel.projector import connect
from funnel.projector.rebuild import clone_schema, drop_schema
from runtime.kafka_admin import ensure_topics
from runtime.migrations import apply_migrations
from schemas.topics import ALL_TOPICS
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _spawn(settings: Settings, schema: str, max_records: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LEADFUNNEL_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LEADFUNNEL_TOPIC_PREFIX": settings.topic_prefix,
        "DATABASE_URL": settings.database_url,
        "LEADFUNNEL_FUNNEL_SCHEMA": schema,
        "LEADFUNNEL_PROJECTOR_METRICS_PORT": "0",
        "LEADFUNNEL_PROJECTOR_BATCH_RECORDS": str(max_records),
        "LEADFUNNEL_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "funnel.projector"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


async def _stored(admin: object, schema: str) -> int:
    total = await admin.fetchval(  # type: ignore[attr-defined]
        "SELECT coalesce(sum(next_offset), 0) FROM projection_positions WHERE projector = $1",
        schema,
    )
    return int(total)


async def project_with(
    settings: Settings, admin: object, schema: str, processes: int, total: int, max_records: int
) -> float:
    """Seconds from the first stored position to the whole log, with `processes` projectors."""
    await clone_schema(admin, "funnel", schema)
    running = [_spawn(settings, schema, max_records) for _ in range(processes)]
    try:
        first = last = None
        deadline = time.monotonic() + 1800
        while True:
            done = await _stored(admin, schema)
            now = time.perf_counter()
            if done and first is None:
                first = (now, done)
            if done >= total:
                last = now
                break
            if time.monotonic() > deadline or any(p.poll() is not None for p in running):
                raise RuntimeError(f"{processes} projector(s) stopped or stalled at {done}/{total}")
            print(f"[bench] {processes} projector(s): {done:,}/{total:,}", file=sys.stderr)
            await asyncio.sleep(0.25 if done else 0.05)
    finally:
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            process.wait(timeout=30)
    assert first is not None and last is not None
    started_at, already = first
    return (last - started_at) * total / max(1, total - already)  # the first poll's share too


async def copy_rate(admin: object, schema: str) -> tuple[int, float]:
    """Rows and rows/s of a binary COPY of the projected timeline into an empty copy."""
    await clone_schema(admin, "funnel", f"{schema}_copy")
    rows = await admin.fetch(f"SELECT * FROM {schema}.lead_events")  # type: ignore[attr-defined]
    started = time.perf_counter()
    await admin.copy_records_to_table(  # type: ignore[attr-defined]
        "lead_events", schema_name=f"{schema}_copy", records=[tuple(r.values()) for r in rows]
    )
    return len(rows), len(rows) / (time.perf_counter() - started)


async def run(args: argparse.Namespace) -> None:
    """Publish once, project with each process count, COPY; print the figures."""
    token = uuid.uuid4().hex[:8]
    base = Settings()
    settings = base.model_copy(update={"topic_prefix": f"bench.{token}."})
    ensure_topics(base.kafka_bootstrap, ALL_TOPICS, settings.topic_prefix, 4, 1)
    apply_migrations(base.database_url)
    admin = await connect(base.database_url, "public")
    schemas = [f"bench_{token}_p{n}" for n in args.processes]
    try:
        messages = contract_messages(args.leads, args.events_per_lead, settings.topic_prefix)
        total = await publish(settings, messages)
        seconds = {}
        for n, schema in zip(args.processes, schemas, strict=True):
            seconds[n] = await project_with(settings, admin, schema, n, total, args.max_records)
        copied, copy_per_s = await copy_rate(admin, schemas[0])
    finally:
        for schema in schemas:
            for leftover in (schema, f"{schema}_copy"):
                await drop_schema(admin, leftover)
        await admin.close()
        _delete_topics(settings)
    print(f"\nprojector scale-out: {total:,} messages, {args.leads:,} leads, 4 partitions")
    print(f"  plain COPY into lead_events: {copy_per_s:,.0f} rows/s ({copied:,} rows)")
    one = total / seconds[args.processes[0]]
    for n in args.processes:
        rate = total / seconds[n]
        print(
            f"  {n} process(es): {rate:,.0f} messages/s  ({seconds[n]:.1f} s)"
            f"  ÷ COPY {rate / copy_per_s:.2f}  × one process {rate / one:.2f}"
        )


def main(argv: list[str]) -> int:
    """`python -m bench projector [--leads N] [--events-per-lead N] [--processes 1 2]`."""
    parser = argparse.ArgumentParser(prog="python -m bench projector")
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--max-records", type=int, default=5000)
    asyncio.run(run(parser.parse_args(argv)))
    return 0

"""Fixtures for alerts tests: own schemas per test, a running worker, the alert topic read back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from alerts.wiring import alerts_config
from alerts.worker.relay import AlertRelay
from alerts.worker.runner import StaleDetector
from alerts.worker.sweeper import Clock
from funnel.projector.rebuild import clone_schema, drop_schema
from schemas.outgoing import Alert
from schemas.topics import LEAD_EVENTS, LEAD_MERGES, PROMOTIONS, SALES_STAGES
from services.settings import Settings
from tests.support.kafka import partitions, read_topic


@pytest.fixture
async def alerts_settings(
    isolated_settings: Settings, unique: str, database_url: str
) -> AsyncIterator[Settings]:
    """Isolated topics, an alerts schema and a funnel schema of this test's own."""
    alerts_schema, funnel_schema = f"alerts_t{unique}", f"funnel_a{unique}"
    admin = await asyncpg.connect(database_url)
    try:
        await clone_schema(admin, "alerts", alerts_schema)
        await clone_schema(admin, "funnel", funnel_schema)
        yield isolated_settings.model_copy(
            update={
                "alerts_schema": alerts_schema,
                "funnel_schema": funnel_schema,
                "alerts_allowed_lateness_seconds": 0.0,
                "alert_delivery_backoff_seconds": 0.05,
                "alert_delivery_backoff_max_seconds": 0.2,
            }
        )
    finally:
        for schema in (alerts_schema, funnel_schema):
            await drop_schema(admin, schema)
        await admin.execute(
            "DELETE FROM projection_positions WHERE projector = $1", f"alerts:{alerts_schema}"
        )
        await admin.close()


@dataclass
class RunningAlerts:
    """A detector and relay running as background tasks, as `python -m alerts` runs them."""

    detector: StaleDetector
    relay: AlertRelay
    stop: asyncio.Event
    task: asyncio.Future[Any]

    async def close(self) -> None:
        """Stop both loops and leave the consumer group, like SIGTERM does."""
        self.stop.set()
        await self.task
        await self.relay.stop()
        await self.detector.stop()


async def start_alerts(settings: Settings, clock: Clock | None = None) -> RunningAlerts:
    """Start the worker's two loops on the settings."""
    config = alerts_config(settings)
    detector = StaleDetector(config, clock)
    await detector.start()
    relay = AlertRelay(config, detector.pool, wake=detector.raised)
    await relay.start()
    stop = asyncio.Event()
    task = asyncio.gather(detector.run(stop), relay.run(stop, idle_seconds=0.2))
    return RunningAlerts(detector, relay, stop, task)


async def alerts_on_topic(settings: Settings) -> list[Alert]:
    """Every alert published so far, in no particular order."""
    return [Alert.model_validate_json(value) for _, value in await read_topic(settings)]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20) -> None:
    """Wait until `check()` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s", pytrace=False)
        await asyncio.sleep(0.2)


async def settled(settings: Settings, running: RunningAlerts) -> None:
    """Wait until the detector read every source record and the relay published everything."""
    sources = [s.name(settings.topic_prefix) for s in (LEAD_EVENTS, PROMOTIONS, SALES_STAGES)]
    sources.append(LEAD_MERGES.name(settings.topic_prefix))
    tps = await partitions(settings, sources)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        total = sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()

    async def done() -> bool:
        async with running.detector.pool.acquire() as conn:
            read = await conn.fetchval(
                "SELECT coalesce(sum(next_offset), 0) FROM projection_positions"
                " WHERE projector = $1",
                running.detector.name,
            )
            pending = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        return bool(read == total and pending == 0)

    await eventually(done)
    await asyncio.sleep(1.0)  # the sweep after the last batch, and its publication
    await eventually(done)

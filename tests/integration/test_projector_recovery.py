"""A projector killed mid-batch, and a rebuild, end with exactly the tables of a clean run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
from prometheus_client import REGISTRY

from funnel.projector import Projector
from funnel.projector.rebuild import clone_schema, rebuild
from funnel.wiring import projector_config
from services.settings import Settings
from tests.integration.funnel_fixtures import bulk_scenario, dump, publish
from tests.support.funnel_factories import day, page_view
from tests.support.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


async def project(settings: Settings, schema: str | None = None) -> None:
    projector = Projector(projector_config(settings), schema=schema)
    await projector.start()
    try:
        await projector.catch_up()
    finally:
        await projector.stop()


async def end_of_log(settings: Settings) -> int:
    projector = Projector(projector_config(settings), schema=settings.funnel_schema)
    await projector.start()
    try:
        return sum((await projector.end_offsets()).values())
    finally:
        await projector.stop()


def start_projector(settings: Settings, max_records: int, port: int = 0) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LEADFUNNEL_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LEADFUNNEL_TOPIC_PREFIX": settings.topic_prefix,
        "DATABASE_URL": settings.database_url,
        "LEADFUNNEL_FUNNEL_SCHEMA": settings.funnel_schema,
        "LEADFUNNEL_PROJECTOR_METRICS_PORT": str(port),
        "LEADFUNNEL_WORKER_READY_MAX_LAG": "0",  # ready only once caught up
        "LEADFUNNEL_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "funnel.projector", "--max-records", str(max_records)]
    return subprocess.Popen(command, cwd=ROOT, env=env)


async def projected(pg: asyncpg.Connection, schema: str) -> int:
    total = await pg.fetchval(
        "SELECT coalesce(sum(next_offset), 0) FROM projection_positions WHERE projector = $1",
        schema,
    )
    return int(total)


async def kill_inside_a_transaction(pg: asyncpg.Connection, schema: str) -> None:
    process_deadline = time.monotonic() + 30
    while time.monotonic() < process_deadline:
        open_batch = await pg.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
            " AND xact_start IS NOT NULL AND state <> 'idle'",
            f"funnel:{schema}",
        )
        if open_batch and await projected(pg, schema) > 0:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("never saw the projector inside a batch transaction")


async def readiness(port: int, until: int | None = None, wait: bool = True) -> int | None:
    """The projector's /readyz status (None: no answer); waits for an answer, or for `until`."""
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            try:
                status = (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code
            except httpx.HTTPError:
                status = None
            if not wait or (status is not None and until in (None, status)):
                return status
            assert time.monotonic() < deadline, f"/readyz answered {status}, waited for {until}"
            await asyncio.sleep(0.1)


async def wait_until_projected(pg: asyncpg.Connection, schema: str, total: int) -> None:
    deadline = time.monotonic() + 60
    while await projected(pg, schema) < total:
        assert time.monotonic() < deadline, "the restarted projector did not catch up"
        await asyncio.sleep(0.1)


async def test_sigkill_mid_batch_then_restart_gives_the_tables_of_an_uninterrupted_run(
    funnel_settings: Settings, pg: asyncpg.Connection
) -> None:
    schema = funnel_settings.funnel_schema
    await publish(funnel_settings, bulk_scenario(funnel_settings, leads=40))
    total = await end_of_log(funnel_settings)

    port = free_port()
    first = start_projector(funnel_settings, max_records=7, port=port)
    try:
        await kill_inside_a_transaction(pg, schema)
        behind = await readiness(port)
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait()
    assert 0 < await projected(pg, schema) < total
    assert behind == 503  # red while behind, and no answer at all once killed
    assert await readiness(port, wait=False) is None
    second = start_projector(funnel_settings, max_records=11, port=port)
    try:
        await wait_until_projected(pg, schema, total)
        assert await readiness(port, until=200) == 200  # green once caught up
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0
    await clone_schema(pg, schema, f"{schema}_copy")
    await project(funnel_settings, schema=f"{schema}_copy")

    assert await dump(pg, schema) == await dump(pg, f"{schema}_copy")


async def test_rebuild_swaps_in_the_same_tables_and_the_live_projector_follows(
    funnel_settings: Settings, pg: asyncpg.Connection
) -> None:
    schema = funnel_settings.funnel_schema
    await publish(funnel_settings, bulk_scenario(funnel_settings, leads=10))
    live = Projector(projector_config(funnel_settings), max_records=40)
    await live.start()
    try:
        await live.catch_up()
        before = await dump(pg, schema)
        await publish(funnel_settings, [page_view("L1", day(30))])  # only the rebuild sees it

        report = await rebuild(projector_config(funnel_settings), max_records=25)

        assert report.messages > 0
        after = await dump(pg, schema)
        assert len(after["lead_events"]) == len(before["lead_events"]) + 1
        await publish(funnel_settings, [page_view("L4", day(31))])
        await live.catch_up()  # finds its positions moved by the swap and resumes from them
        refetched = REGISTRY.get_sample_value(
            "leadfunnel_projector_records_total", {"projector": schema, "outcome": "refetched"}
        )
        assert refetched is not None and refetched > 0
    finally:
        await live.stop()
    await clone_schema(pg, schema, f"{schema}_copy")
    await project(funnel_settings, schema=f"{schema}_copy")

    assert await dump(pg, schema) == await dump(pg, f"{schema}_copy")
    leftovers = await pg.fetchval(
        "SELECT count(*) FROM pg_namespace WHERE nspname LIKE $1", f"{schema}\\_\\_%"
    )
    assert leftovers == 0

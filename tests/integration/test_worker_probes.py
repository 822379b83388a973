"""The projector's readiness: red while behind or without its database, green once caught up."""

from __future__ import annotations

import asyncio

import httpx

from funnel.projector import Projector
from funnel.projector.probes import readiness
from funnel.wiring import projector_config
from runtime.ops_http import _failures
from runtime.worker_http import Heartbeat, serve_ops
from services.settings import Settings
from tests.integration.funnel_fixtures import publish
from tests.support.funnel_factories import day, page_view
from tests.support.helpers import free_port


async def test_readiness_is_red_while_behind_or_without_postgres_and_green_when_caught_up(
    funnel_settings: Settings,
) -> None:
    projector = Projector(projector_config(funnel_settings), max_records=1)
    before = await _failures(readiness(projector, funnel_settings.database_url, 0), 2)
    assert set(before) == {"consuming"}  # not started: no partition yet
    await publish(funnel_settings, [page_view(f"P{n}", day(n)) for n in range(5)])
    await projector.start()
    heartbeat = Heartbeat(limit=30)
    port = free_port()
    checks = readiness(projector, funnel_settings.database_url, 0)
    ops = await serve_ops("projector", "127.0.0.1", port, lambda: checks, heartbeat, 2)
    assert ops is not None
    try:
        await projector.run_once(timeout_ms=2000)  # one record of five: still behind
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            behind = await client.get("/readyz")
            await projector.catch_up()
            caught_up = await client.get("/readyz")
            alive = await client.get("/healthz")
            heartbeat.limit = 0.0
            await asyncio.sleep(0.01)
            stalled = await client.get("/healthz")
        no_db = await _failures(readiness(projector, "postgresql://nobody@127.0.0.1:1/x", 0), 2)
    finally:
        await ops.stop()
        await projector.stop()

    assert behind.status_code == 503 and "behind" in behind.json()["failures"]["consuming"]
    assert caught_up.status_code == 200, caught_up.text
    assert (alive.status_code, stalled.status_code) == (200, 503)
    assert "not turned" in stalled.json()["reason"]
    assert set(no_db) == {"postgres"}

"""Two projectors of one schema share the partitions and write side by side: same tables as one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg

from funnel.projector import Projector
from funnel.projector.rebuild import clone_schema
from funnel.wiring import projector_config
from services.settings import Settings
from tests.integration.funnel_fixtures import bulk_scenario, dump, publish


async def stored_total(pg: asyncpg.Connection, schema: str) -> int:
    return int(
        await pg.fetchval(
            "SELECT coalesce(sum(next_offset), 0) FROM projection_positions WHERE projector = $1",
            schema,
        )
    )


async def test_two_group_projectors_split_the_partitions_and_end_with_one_projectors_tables(
    funnel_settings: Settings, pg: asyncpg.Connection
) -> None:
    schema = funnel_settings.funnel_schema
    await clone_schema(pg, schema, f"{schema}_copy")  # empty, for the one-projector reference
    pair = [
        Projector(projector_config(funnel_settings), max_records=15, group=True) for _ in range(2)
    ]
    for projector in pair:
        await projector.start()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(projector.run(stop)) for projector in pair]
    try:
        await _until(lambda: all(p.partitions for p in pair), "both projectors own partitions")
        owned = [set(p.partitions) for p in pair]
        await publish(funnel_settings, bulk_scenario(funnel_settings, leads=60))
        total = sum((await pair[0].consumer.end_offsets(await _all(pair[0]))).values())
        deadline = time.monotonic() + 90
        while await stored_total(pg, schema) < total:
            assert time.monotonic() < deadline, "the pair did not project the log in 90 s"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for projector in pair:
            await projector.stop()

    assert owned[0] and owned[1] and not owned[0] & owned[1], owned  # a share each, no overlap
    one = Projector(projector_config(funnel_settings), schema=f"{schema}_copy")
    await one.start()
    try:
        await one.catch_up()
    finally:
        await one.stop()
    assert await dump(pg, schema) == await dump(pg, f"{schema}_copy")


async def _all(projector: Projector) -> list:  # type: ignore[type-arg]
    """Every source partition, whoever owns it."""
    return await projector._source_partitions()


async def _until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.1)

"""Re-project the whole log into a fresh schema beside the live one, then swap them atomically."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

from funnel.projector import store
from funnel.projector.config import ProjectorConfig
from funnel.projector.runner import Projector, connect
from runtime.progress import ProgressBar


async def _tables(conn: store.Connection, schema: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema
    )
    return [row["tablename"] for row in rows]


async def clone_schema(
    conn: store.Connection, source: str, target: str, *, secondary_indexes: bool = True
) -> None:
    """Empty copies of every table of `source` in a new schema `target`, same index names."""
    tables = await _tables(conn, source)
    if not tables:
        raise RuntimeError(f"schema {source} has no tables: apply the migrations (make up)")
    await conn.execute(f"CREATE SCHEMA {target}")
    for table in tables:
        await conn.execute(
            f"CREATE TABLE {target}.{table} (LIKE {source}.{table} INCLUDING ALL EXCLUDING INDEXES)"
        )
        constraints = await conn.fetch(
            "SELECT conname, pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c"
            " WHERE conrelid = $1::regclass AND contype IN ('p', 'u')",
            f"{source}.{table}",
        )
        for row in constraints:
            await conn.execute(
                f"ALTER TABLE {target}.{table} ADD CONSTRAINT {row['conname']} {row['definition']}"
            )
    if secondary_indexes:
        await create_secondary_indexes(conn, source, target)


async def create_secondary_indexes(conn: store.Connection, source: str, target: str) -> None:
    """The indexes of `source` that back no constraint, built on `target` (after a bulk load)."""
    rows = await conn.fetch(
        "SELECT pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i"
        " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
        " WHERE n.nspname = $1"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        source,
    )
    for row in rows:
        await conn.execute(row["definition"].replace(f" ON {source}.", f" ON {target}.", 1))


async def drop_schema(conn: store.Connection, schema: str) -> None:
    """Drop a schema and the positions of the projector writing into it."""
    await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    await conn.execute("DELETE FROM public.projection_positions WHERE projector = $1", schema)


async def swap(conn: store.Connection, live: str, fresh: str) -> None:
    """Put `fresh` (tables and positions) in place of `live` in one transaction."""
    retired = f"{live}__retired"
    await conn.execute(f"DROP SCHEMA IF EXISTS {retired} CASCADE")
    async with conn.transaction():
        await store.lock(conn, live)
        if await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", live):
            await conn.execute(f"ALTER SCHEMA {live} RENAME TO {retired}")
        await conn.execute(f"ALTER SCHEMA {fresh} RENAME TO {live}")
        await conn.execute("DELETE FROM public.projection_positions WHERE projector = $1", live)
        await conn.execute(
            "UPDATE public.projection_positions SET projector = $1 WHERE projector = $2",
            live,
            fresh,
        )
    await conn.execute(f"DROP SCHEMA IF EXISTS {retired} CASCADE")


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild did."""

    schema: str
    messages: int
    seconds: float


async def rebuild(
    config: ProjectorConfig, *, stream: TextIO = sys.stderr, max_records: int | None = None
) -> RebuildReport:
    """Project the log from the beginning into `<schema>__rebuild` and swap it in.

    The API keeps reading the live schema until the swap; the live projector keeps projecting
    too, and after the swap finds the database's positions moved and resumes from them.
    """
    live = config.schema
    fresh = f"{live}__rebuild"
    started = time.monotonic()
    admin = await connect(config.database_url, "public")
    projector = Projector(config, schema=fresh, max_records=max_records)
    bar = ProgressBar(stream)
    try:
        await drop_schema(admin, fresh)  # what an interrupted rebuild left behind
        await clone_schema(admin, live, fresh, secondary_indexes=False)
        await projector.start()
        await projector.catch_up(progress=bar.update)
        await create_secondary_indexes(admin, live, fresh)
        # Hold the live projector between batches while the last messages are projected.
        await admin.execute("SELECT pg_advisory_lock(hashtext($1))", store.lock_key(live))
        try:
            await projector.catch_up(progress=bar.update)
            await swap(admin, live, fresh)
        finally:
            await admin.execute("SELECT pg_advisory_unlock(hashtext($1))", store.lock_key(live))
    except BaseException:
        await projector.stop()
        await drop_schema(admin, fresh)
        await admin.close()
        raise
    await projector.stop()
    await admin.close()
    seconds = time.monotonic() - started
    bar.finish(f"[rebuild] swapped {fresh} in as {live} after {seconds:.1f}s")
    return RebuildReport(live, bar.done, seconds)

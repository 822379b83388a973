"""Where each consumer of the log has got to, stored in PostgreSQL beside what it wrote.

The projector and the alerts worker commit their read models and their positions in one
transaction (`public.projection_positions`), so after a crash they resume exactly past what the
database holds; Kafka's own committed offsets are never consulted. One row per
(consumer, topic, partition): `next_offset` is the first record not yet applied.
"""

from __future__ import annotations

from typing import Any

Position = tuple[str, int]  # (topic, partition)
Connection = Any  # an asyncpg connection (or pool connection proxy)


async def load_positions(conn: Connection, consumer: str) -> dict[Position, int]:
    """Next offset to read per (topic, partition), as committed with the consumer's state."""
    rows = await conn.fetch(
        "SELECT topic, partition, next_offset FROM public.projection_positions"
        " WHERE projector = $1",
        consumer,
    )
    return {(row["topic"], row["partition"]): row["next_offset"] for row in rows}


async def save_positions(conn: Connection, consumer: str, positions: dict[Position, int]) -> None:
    """Record where the batch ends, in the batch's own transaction."""
    if not positions:
        return
    keys = list(positions)
    await conn.execute(
        "INSERT INTO public.projection_positions (projector, topic, partition, next_offset)"
        " SELECT $1, x.topic, x.partition, x.next_offset"
        " FROM unnest($2::text[], $3::int4[], $4::int8[]) AS x(topic, partition, next_offset)"
        " ON CONFLICT (projector, topic, partition)"
        " DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()",
        consumer,
        [topic for topic, _ in keys],
        [partition for _, partition in keys],
        [positions[key] for key in keys],
    )

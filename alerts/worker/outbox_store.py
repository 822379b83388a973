"""The alert outbox, webhook deliveries and scheduled-check runs in PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from schemas.outgoing import Alert

Connection = Any  # asyncpg.Connection or a pool connection proxy (both untyped)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """An alert waiting to be published, as stored."""

    alert_id: str
    kind: str
    subject: str
    payload: str


@dataclass(frozen=True, slots=True)
class Published:
    """Where the broker put an outbox row."""

    alert_id: str
    partition: int
    offset: int


async def enqueue(conn: Connection, alerts: Sequence[Alert]) -> list[Alert]:
    """Insert alerts not raised before (by id); returns the ones that are new."""
    if not alerts:
        return []
    fresh = await conn.fetch(
        "INSERT INTO outbox (alert_id, kind, subject, payload)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])"
        " ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id",
        [a.alert_id for a in alerts],
        [str(a.kind) for a in alerts],
        [a.subject for a in alerts],
        [a.model_dump_json() for a in alerts],
    )
    ids = {row["alert_id"] for row in fresh}
    return [a for a in alerts if a.alert_id in ids]


async def pending(conn: Connection, limit: int) -> list[OutboxRow]:
    """Unpublished alerts, oldest first."""
    rows = await conn.fetch(
        "SELECT alert_id, kind, subject, payload FROM outbox WHERE published_at IS NULL"
        " ORDER BY seq LIMIT $1",
        limit,
    )
    return [OutboxRow(**dict(row)) for row in rows]


async def count_pending(conn: Connection) -> int:
    """How many alerts wait to be published."""
    count: int = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return count


async def last_offsets(conn: Connection) -> dict[int, int]:
    """The highest offset recorded per partition of the alert topic."""
    rows = await conn.fetch(
        "SELECT kafka_partition AS p, max(kafka_offset) AS o FROM outbox"
        " WHERE kafka_partition IS NOT NULL GROUP BY kafka_partition"
    )
    return {row["p"]: row["o"] for row in rows}


async def mark_published(
    conn: Connection, published: Sequence[Published], webhooks: dict[str, list[str]]
) -> None:
    """Record broker positions and queue one delivery per webhook wanting the alert's kind."""
    if not published:
        return
    await conn.execute(
        "UPDATE outbox o SET published_at = now(), kafka_partition = x.p, kafka_offset = x.o"
        " FROM unnest($1::text[], $2::int4[], $3::int8[]) AS x(id, p, o)"
        " WHERE o.alert_id = x.id AND o.published_at IS NULL",
        [p.alert_id for p in published],
        [p.partition for p in published],
        [p.offset for p in published],
    )
    pairs = [(p.alert_id, hook) for p in published for hook in webhooks.get(p.alert_id, [])]
    if pairs:
        await conn.execute(
            "INSERT INTO deliveries (alert_id, webhook)"
            " SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
            [alert_id for alert_id, _ in pairs],
            [hook for _, hook in pairs],
        )


async def pending_deliveries(conn: Connection, limit: int) -> list[tuple[str, str, str]]:
    """(alert id, webhook, alert JSON) of deliveries still to make, oldest first."""
    rows = await conn.fetch(
        "SELECT d.alert_id, d.webhook, o.payload FROM deliveries d"
        " JOIN outbox o USING (alert_id) WHERE d.status = 'pending'"
        " ORDER BY d.updated_at, d.alert_id LIMIT $1",
        limit,
    )
    return [(row["alert_id"], row["webhook"], row["payload"]) for row in rows]


async def finish_delivery(
    conn: Connection, alert_id: str, webhook: str, status: str, attempts: int, error: str | None
) -> None:
    """Record how a delivery ended: delivered, or dead-lettered after its attempts."""
    await conn.execute(
        "UPDATE deliveries SET status = $3, attempts = attempts + $4, last_error = $5,"
        " updated_at = now() WHERE alert_id = $1 AND webhook = $2",
        alert_id,
        webhook,
        status,
        attempts,
        error,
    )


async def checks_done(conn: Connection, check: str, periods: Iterable[str]) -> set[str]:
    """Which of the periods the named check already ran for."""
    rows = await conn.fetch(
        "SELECT period FROM checks_run WHERE check_name = $1 AND period = ANY($2::text[])",
        check,
        list(periods),
    )
    return {row["period"] for row in rows}


async def record_check(conn: Connection, check: str, period: str, alerts: int) -> None:
    """Remember that the check ran for the period (same transaction as its alerts)."""
    await conn.execute(
        "INSERT INTO checks_run (check_name, period, alerts) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        check,
        period,
        alerts,
    )

"""The outbox relay: one leader publishes pending alerts to the alert topic, then to webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from alerts.worker import outbox_store, telemetry
from alerts.worker.config import AlertsConfig
from alerts.worker.outbox_store import Published
from alerts.worker.webhooks import WebhookDeliverer
from schemas.topics import ALERTS

log = logging.getLogger("alerts.worker.relay")
BATCH = 500
ALERT_ID_HEADER = "alert_id"


class AlertRelay:
    """Publishes the outbox; a PostgreSQL advisory lock makes exactly one instance the leader."""

    def __init__(self, config: AlertsConfig, pool: Any, wake: asyncio.Event | None = None) -> None:
        self.config = config
        self.pool = pool
        self.wake = wake or asyncio.Event()
        self.topic = ALERTS.name(config.topic_prefix)
        self.lock_key = f"leadfunnel:alerts-relay:{config.schema}"
        self.producer = AIOKafkaProducer(
            bootstrap_servers=config.kafka_bootstrap, acks="all", enable_idempotence=True
        )
        self.webhooks = WebhookDeliverer(config, pool, self.producer)
        self._leader: Any = None  # the connection holding the advisory lock
        self._unsure = False  # a step failed: what reached the topic may not be recorded

    async def start(self) -> None:
        """Start the producer (leadership is taken in `run`)."""
        await self.producer.start()

    async def stop(self) -> None:
        """Give up leadership and close."""
        await self.webhooks.close()
        if self._leader is not None:
            with contextlib.suppress(Exception):
                await self._leader.close()
        await self.producer.stop()

    async def lead(self) -> bool:
        """Whether this instance leads; tries to take the lock when nobody holds it."""
        if self._leader is not None and not self._leader.is_closed():
            return True
        conn = await asyncpg.connect(self.config.database_url)
        if await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self.lock_key):
            self._leader = conn
            await self.reconcile()  # the last leader may have died between publish and record
            return True
        await conn.close()
        return False

    def _routes(self, rows: list[outbox_store.OutboxRow]) -> dict[str, list[str]]:
        hooks = self.config.delivery.webhooks
        return {
            row.alert_id: [h.name for h in hooks if not h.kinds or row.kind in h.kinds]
            for row in rows
        }

    async def publish_pending(self) -> int:
        """Publish pending alerts in outbox order and record where they landed."""
        async with self.pool.acquire() as conn:
            rows = await outbox_store.pending(conn, BATCH)
            if rows:
                published, failure = await self._send(rows)
                async with conn.transaction():
                    await outbox_store.mark_published(conn, published, self._routes(rows))
                kinds = {row.alert_id: row.kind for row in rows}
                for done in published:
                    telemetry.PUBLISHED.labels(kinds[done.alert_id]).inc()
                if failure is not None:  # the rest stay pending, tried again on the next round
                    raise failure
            telemetry.OUTBOX_PENDING.set(await outbox_store.count_pending(conn))
        return len(rows)

    async def _send(
        self, rows: list[outbox_store.OutboxRow]
    ) -> tuple[list[Published], BaseException | None]:
        sent = [
            await self.producer.send(
                self.topic,
                row.payload.encode(),
                key=row.subject.encode(),
                headers=[(ALERT_ID_HEADER, row.alert_id.encode())],
            )
            for row in rows
        ]
        acks = await asyncio.gather(*sent, return_exceptions=True)
        published, failure = [], None
        for row, ack in zip(rows, acks, strict=True):
            if isinstance(ack, BaseException):
                failure = ack
            else:
                published.append(Published(row.alert_id, ack.partition, ack.offset))
        return published, failure

    async def reconcile(self) -> int:
        """Mark pending alerts already on the topic (published, not recorded) as published."""
        async with self.pool.acquire() as conn:
            if not await outbox_store.count_pending(conn):
                return 0
            after = await outbox_store.last_offsets(conn)
            rows = await outbox_store.pending(conn, 1_000_000)
        found = await self._read_topic_after(after)
        known = {row.alert_id for row in rows}
        published = [p for p in found if p.alert_id in known]
        async with self.pool.acquire() as conn, conn.transaction():
            await outbox_store.mark_published(conn, published, self._routes(rows))
        if published:
            log.warning("%d alert(s) were on the topic but not recorded: recorded", len(published))
        return len(published)

    async def _read_topic_after(self, after: dict[int, int]) -> list[Published]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.config.kafka_bootstrap,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            partitions = await self.producer.partitions_for(self.topic)  # waits for metadata
            tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            for tp in tps:
                consumer.seek(tp, after.get(tp.partition, -1) + 1)
            todo = {tp for tp in tps if after.get(tp.partition, -1) + 1 < ends[tp]}
            found: list[Published] = []
            while todo:
                for tp, messages in (await consumer.getmany(*todo, timeout_ms=1000)).items():
                    for m in messages:
                        ids = [v.decode() for k, v in m.headers if k == ALERT_ID_HEADER]
                        found += [Published(i, tp.partition, m.offset) for i in ids]
                todo = {tp for tp in todo if await consumer.position(tp) < ends[tp]}
            return found
        finally:
            await consumer.stop()

    async def run(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        """Lead (or wait to), publish whenever woken, deliver to webhooks; until `stop`."""
        delivering: asyncio.Task[int] | None = None
        try:
            while not stop.is_set():
                try:
                    if await self.lead():
                        self.wake.clear()
                        if self._unsure:
                            await self.reconcile()
                            self._unsure = False
                        await self.publish_pending()
                        if delivering is None or delivering.done():
                            delivering = asyncio.create_task(self.webhooks.deliver_pending())
                except (OSError, KafkaError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                    log.error("relay step failed, retrying: %r", e)
                    self._unsure = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), idle_seconds)
        finally:
            if delivering is not None:
                delivering.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await delivering

"""Webhook delivery: POST with exponential-backoff retries, dead letter after the last attempt."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from alerts.model.delivery import AlertWebhook, build_request, wecom_accepted
from alerts.worker import outbox_store, telemetry
from alerts.worker.config import AlertsConfig
from schemas.outgoing import Alert, DeadLetter
from schemas.topics import DEAD_LETTERS

log = logging.getLogger("alerts.worker.webhooks")
CONCURRENCY = 8


class DeliveryFailedError(Exception):
    """One attempt failed: no answer, or an answer that is not a success."""


class WebhookDeliverer:
    """Delivers published alerts to the configured webhooks, at least once each."""

    def __init__(self, config: AlertsConfig, pool: Any, producer: AIOKafkaProducer) -> None:
        self.config = config
        self.pool = pool
        self.producer = producer
        self.hooks = {hook.name: hook for hook in config.delivery.webhooks}
        self.client = httpx.AsyncClient(timeout=config.delivery.timeout_seconds)
        self._in_flight: set[tuple[str, str]] = set()
        self._slots = asyncio.Semaphore(CONCURRENCY)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()

    async def deliver_pending(self) -> int:
        """Deliver every pending delivery not already under way; returns how many were tried."""
        async with self.pool.acquire() as conn:
            todo = await outbox_store.pending_deliveries(conn, 200)
        todo = [item for item in todo if (item[0], item[1]) not in self._in_flight]
        await asyncio.gather(*(self._deliver(*item) for item in todo))
        return len(todo)

    async def _deliver(self, alert_id: str, name: str, payload: str) -> None:
        self._in_flight.add((alert_id, name))
        try:
            async with self._slots:
                hook = self.hooks.get(name)
                if hook is None:
                    await self._finish(alert_id, name, "dead_lettered", 0, "webhook not configured")
                    return
                attempts, error = await self._attempts(hook, Alert.model_validate_json(payload))
                if error is None:
                    telemetry.DELIVERED.labels(name).inc()
                    await self._finish(alert_id, name, "delivered", attempts, None)
                else:
                    await self._dead_letter(name, payload, attempts, error)
                    await self._finish(alert_id, name, "dead_lettered", attempts, error)
        finally:
            self._in_flight.discard((alert_id, name))

    async def _attempts(self, hook: AlertWebhook, alert: Alert) -> tuple[int, str | None]:
        """Try up to the configured attempts; returns (attempts made, last error or None)."""
        d = self.config.delivery
        backoff = (d.backoff_seconds, d.backoff_max_seconds)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(d.attempts),
            wait=wait_exponential(multiplier=backoff[0], max=backoff[1]),
            retry=retry_if_exception_type(DeliveryFailedError),
            reraise=True,
        )
        made = 0
        try:
            async for attempt in retrying:
                with attempt:
                    made += 1
                    await self._post(hook, alert)
        except DeliveryFailedError as error:
            return made, str(error)
        return made, None

    async def _post(self, hook: AlertWebhook, alert: Alert) -> None:
        # a fresh timestamp (and so signature) per attempt: receivers reject stale ones
        request = build_request(hook.format, hook.url, hook.secret, alert, int(time.time()))
        try:
            answer = await self.client.post(
                request.url, content=request.body, headers=request.headers
            )
        except httpx.HTTPError as error:
            telemetry.FAILED.labels(hook.name).inc()
            raise DeliveryFailedError(f"{type(error).__name__}: {error}") from error
        ok = answer.is_success
        if hook.format == "wecom":
            ok = wecom_accepted(answer.status_code, answer.content)
        if not ok:
            telemetry.FAILED.labels(hook.name).inc()
            raise DeliveryFailedError(f"HTTP {answer.status_code}: {answer.text[:200]}")

    async def _dead_letter(self, name: str, payload: str, attempts: int, error: str) -> None:
        letter = DeadLetter(
            source=f"webhook:{name}",
            reason=f"undelivered after {attempts} attempts: {error}",
            payload=payload,
            failed_at=datetime.now(UTC),
        )
        topic = DEAD_LETTERS.name(self.config.topic_prefix)
        await self.producer.send_and_wait(topic, letter.model_dump_json().encode(), key=b"webhook")
        telemetry.DEAD_LETTERED.labels(name).inc()
        log.warning("alert to %s dead-lettered: %s", name, error)

    async def _finish(
        self, alert_id: str, name: str, status: str, attempts: int, error: str | None
    ) -> None:
        async with self.pool.acquire() as conn:
            await outbox_store.finish_delivery(conn, alert_id, name, status, attempts, error)

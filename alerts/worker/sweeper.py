"""The event-time sweep: flag idle leads at the watermark, then run the month's due checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from alerts.model import tracking
from alerts.worker import checks, outbox_store, state_store, telemetry
from alerts.worker.config import AlertsConfig
from alerts.worker.risk_check import run_risk_check
from schemas.outgoing import Alert

SWEEP_ROWS = 1000
Clock = Callable[[datetime | None], datetime | None]  # latest event time seen -> sweep's "now"


def lagging_clock(lateness: timedelta) -> Clock:
    """The sweep judges at the latest event time seen minus the allowed lateness."""
    return lambda seen: None if seen is None else seen - lateness


def count_raised(fresh: list[Alert], raised: asyncio.Event) -> None:
    """Count new alerts by kind and wake the relay when there are any."""
    for alert in fresh:
        telemetry.RAISED.labels(str(alert.kind)).inc()
    if fresh:
        raised.set()


class Sweeper:
    """Sweeps the tracked leads of one alerts schema; safe to run in several workers at once."""

    def __init__(
        self, config: AlertsConfig, pool: Any, clock: Clock, raised: asyncio.Event
    ) -> None:
        self.config = config
        self.pool = pool
        self.clock = clock
        self.raised = raised
        self._last: tuple[datetime | None, float] = (None, 0.0)
        self._risk_checked = float("-inf")  # monotonic time of the last churn-risk check

    async def sweep(self, now: datetime | None = None) -> list[Alert]:
        """Flag leads idle past their allowed time at `now` (default: the event-time clock)."""
        async with self.pool.acquire() as conn:
            judged_at = now or self.clock(await state_store.read_clock(conn))
            if judged_at is None:
                return []
            last, at = self._last
            interval = self.config.sweep_interval_seconds
            if now is None and last == judged_at and time.monotonic() - at < interval:
                return []  # nothing can have become stale since: event time stood still
            telemetry.WATERMARK.set(judged_at.timestamp())
            fresh = await self._flag(conn, judged_at)
            fresh += await checks.run_due_checks(conn, self.config.checks, judged_at)
            fresh += await self._risk(conn, judged_at, forced=now is not None)
            self._last = (judged_at, time.monotonic())  # only once it all committed
            flagged = await conn.fetchval(
                "SELECT count(*) FROM lead_activity WHERE alerted_idle_since IS NOT NULL"
            )
            telemetry.STALE_LEADS.set(flagged)
        count_raised(fresh, self.raised)
        return fresh

    async def _risk(self, conn: state_store.Connection, at: datetime, forced: bool) -> list[Alert]:
        """The churn-risk check, every `risk_check_interval_seconds` (or when asked for `now`)."""
        since = time.monotonic() - self._risk_checked
        if not forced and since < self.config.risk_check_interval_seconds:
            return []
        fresh = await run_risk_check(conn, self.config.checks, at)
        self._risk_checked = time.monotonic()
        return fresh

    async def _flag(self, conn: state_store.Connection, now: datetime) -> list[Alert]:
        config = self.config.checks.stale_leads
        fresh: list[Alert] = []
        while True:
            started = time.perf_counter()
            async with conn.transaction():
                due = await state_store.due_leads(conn, now, SWEEP_ROWS)
                judged, alerts = tracking.sweep(due, now, config)
                await state_store.save_leads(conn, judged, config)  # due_at under this config
                fresh += await outbox_store.enqueue(conn, alerts)
            telemetry.BATCH_SECONDS.labels("sweep").observe(time.perf_counter() - started)
            if len(due) < SWEEP_ROWS:
                return fresh

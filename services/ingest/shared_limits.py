"""Rate limits every ingest replica shares: fixed-window counters in PostgreSQL.

One UPSERT per scope and request adds the request's events to the current window's count only
while it stays within the scope's capacity, so N replicas admit what one would. When the
database does not answer within `TIMEOUT` the process's own token buckets decide for a while
(`BACKOFF`): ingest keeps accepting events while PostgreSQL is down, at N × the rate.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

import asyncpg
from prometheus_client import Counter

from services.ingest.ratelimit import RateLimiter, over_rate, scopes
from services.ingest.rejections import Rejection
from services.settings import WriteKey

log = logging.getLogger("ingest")
TIMEOUT, BACKOFF, CLEANUP_EVERY = 0.25, 5.0, 60.0
FALLBACKS = Counter(
    "leadfunnel_ingest_rate_store_fallbacks",
    "Requests rate-limited by the process's own buckets because PostgreSQL did not answer",
)
ADMIT = """
INSERT INTO ingest.rate_windows AS w (scope, slot, events) VALUES ($1, $2, $3)
ON CONFLICT (scope, slot) DO UPDATE SET events = w.events + EXCLUDED.events
    WHERE w.events + EXCLUDED.events <= $4
RETURNING w.events
"""
FORGET = "DELETE FROM ingest.rate_windows WHERE slot < $1"


class SharedRateLimiter:
    """Per-scope fixed windows of `window_seconds` in PostgreSQL, local buckets as the fallback."""

    def __init__(
        self,
        database_url: str,
        window_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url, self._window, self._clock = database_url, window_seconds, clock
        self._pool: asyncpg.Pool | None = None
        self._local = RateLimiter(window_seconds)
        self._down_until = self._cleaned = 0.0

    async def admit(self, key: WriteKey, events: int, address: str | None) -> Rejection | None:
        """A 429 when a scope of the request (its address, then its key) is over its rate."""
        if time.monotonic() < self._down_until:
            FALLBACKS.inc()
            return self._local.admit_now(key, events, address)
        try:
            return await asyncio.wait_for(self._admit(key, events, address), TIMEOUT)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            self._down_until = time.monotonic() + BACKOFF
            log.warning("rate store unavailable: %s; local limits", type(error).__name__)
            FALLBACKS.inc()
            return self._local.admit_now(key, events, address)

    async def _admit(self, key: WriteKey, events: int, address: str | None) -> Rejection | None:
        pool = await self._connection_pool()
        now = self._clock()
        slot = math.floor(now / self._window)
        for scope in scopes(key, address):
            capacity = max(scope.rate * self._window, 1.0)
            cost = int(min(max(events, 1), capacity))
            admitted = await pool.fetchval(ADMIT, scope.name, slot, cost, int(capacity))
            if admitted is None:  # the window is full: the next one opens then
                wait = max(1, math.ceil((slot + 1) * self._window - now))
                return over_rate(scope, wait)
        if now - self._cleaned > CLEANUP_EVERY:  # whichever replica comes first
            self._cleaned = now
            await pool.execute(FORGET, slot - 1)
        return None

    async def _connection_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(self._url, min_size=0, max_size=4)
        return self._pool

    async def stop(self) -> None:
        """Close the pool, if one was opened."""
        if self._pool is not None:
            await self._pool.close()

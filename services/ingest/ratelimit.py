"""Per-write-key token buckets: events per second with a burst; over it answers 429."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from services.ingest.rejections import RATE_LIMITED, Rejection
from services.settings import WriteKey


class RateLimiter:
    """Token buckets per key name (per process: N replicas admit N times the rate)."""

    def __init__(self, burst_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._burst = burst_seconds
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: WriteKey, events: int) -> Rejection | None:
        """Spend one token per event; a 429 with Retry-After when the bucket is short."""
        rate = key.rate_per_second
        capacity = max(rate * self._burst, 1.0)
        now = self._clock()
        tokens, updated = self._buckets.get(key.name, (capacity, now))
        tokens = min(capacity, tokens + (now - updated) * rate)
        cost = min(
            float(max(events, 1)), capacity
        )  # a batch larger than the burst waits for a full bucket
        if tokens >= cost:
            self._buckets[key.name] = (tokens - cost, now)
            return None
        self._buckets[key.name] = (tokens, now)
        wait = math.ceil((cost - tokens) / rate) if rate > 0 else 60
        message = f"write key {key.name!r} is over {rate:g} events/s; retry after {wait}s"
        return Rejection(RATE_LIMITED, "", message, status=429, retry_after=max(wait, 1))

"""Rate limits per write key and per client address; over one a request is answered 429.

`RateLimiter` keeps token buckets in the process (N replicas admit N times the rate);
`services/ingest/shared_limits.py` keeps them in PostgreSQL for every replica at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from services.ingest.rejections import RATE_LIMITED, Rejection
from services.settings import WriteKey


@dataclass(frozen=True, slots=True)
class Scope:
    """What one limit counts: a key's events, or one client address's events on a key."""

    name: str
    rate: float  # events per second
    what: str  # for the message


def scopes(key: WriteKey, address: str | None) -> list[Scope]:
    """The limits a request counts against: its address on the key first, then the key."""
    found = []
    if address and key.rate_per_address_per_second is not None:
        rate = key.rate_per_address_per_second
        found.append(Scope(f"{key.name}@{address}", rate, f"one client address on {key.name!r}"))
    found.append(Scope(key.name, key.rate_per_second, f"write key {key.name!r}"))
    return found


def over_rate(scope: Scope, wait: int) -> Rejection:
    """The 429 for a scope over its rate, with Retry-After."""
    message = f"{scope.what} is over {scope.rate:g} events/s; retry after {wait}s"
    return Rejection(RATE_LIMITED, "", message, status=429, retry_after=max(wait, 1))


MAX_BUCKETS = 100_000


class Limiter(Protocol):
    """What a request handler needs of a limiter: in this process or shared."""

    async def admit(self, key: WriteKey, events: int, address: str | None) -> Rejection | None:
        """None when admitted, else the 429."""

    async def stop(self) -> None:
        """Release what it holds."""


class RateLimiter:
    """Token buckets per scope, in this process."""

    def __init__(self, burst_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._burst = burst_seconds
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def admit_now(self, key: WriteKey, events: int, address: str | None) -> Rejection | None:
        """Every scope of the request (address, then key) must have the tokens."""
        for scope in scopes(key, address):
            refused = self._spend(scope, events)
            if refused:
                return refused
        return None

    async def admit(self, key: WriteKey, events: int, address: str | None) -> Rejection | None:
        """`admit_now`, with the shared limiter's signature."""
        return self.admit_now(key, events, address)

    async def stop(self) -> None:
        """Nothing to close."""

    def _spend(self, scope: Scope, events: int) -> Rejection | None:
        if len(self._buckets) > MAX_BUCKETS:  # a flood of addresses must not grow it unbounded
            self._buckets.clear()
        rate = scope.rate
        capacity = max(rate * self._burst, 1.0)
        now = self._clock()
        tokens, updated = self._buckets.get(scope.name, (capacity, now))
        tokens = min(capacity, tokens + (now - updated) * rate)
        cost = min(float(max(events, 1)), capacity)  # a batch over the burst waits for it all
        if tokens >= cost:
            self._buckets[scope.name] = (tokens - cost, now)
            return None
        self._buckets[scope.name] = (tokens, now)
        return over_rate(scope, math.ceil((cost - tokens) / rate) if rate > 0 else 60)

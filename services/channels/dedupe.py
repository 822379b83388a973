"""Retries and replays: deterministic event ids, and a small in-process TTL cache of recent ones.

The id is what makes a retry harmless (scoring dedupes by event id, across every replica); the
cache only lets this process answer a retry at once without publishing it again.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable


def derived_event_id(channel: str, *parts: str) -> str:
    """The same delivery, however often retried, gets the same event id."""
    material = "\x1f".join((channel, *parts)).encode()
    return f"{channel}-{hashlib.sha256(material).hexdigest()[:32]}"


def wechat_dedupe_parts(fields: dict[str, str]) -> tuple[str, ...]:
    """WeChat's retry identity: MsgId for messages; sender, CreateTime and Event for events."""
    if fields.get("MsgId"):
        return ("msg", fields["MsgId"])
    # EventKey too: two different menu clicks within one second are not retries of each other.
    keys = ("FromUserName", "CreateTime", "Event", "EventKey")
    return ("event", *(fields.get(key, "") for key in keys))


class RecentIds:
    """Keys seen in the last `ttl` seconds (bounded; the oldest go first when full)."""

    def __init__(
        self, ttl: float, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def _expire(self, now: float) -> None:
        while self._seen:
            key, at = next(iter(self._seen.items()))
            if now - at < self._ttl and len(self._seen) <= self._max:
                return
            del self._seen[key]

    def seen(self, key: str) -> bool:
        """Whether the key was remembered within the last `ttl` seconds."""
        self._expire(self._clock())
        return key in self._seen

    def remember(self, *keys: str) -> None:
        """Remember keys from now on (call only once what they stand for is durable)."""
        now = self._clock()
        for key in keys:
            self._seen[key] = now
            self._seen.move_to_end(key)
        self._expire(now)

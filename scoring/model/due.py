"""Which leads a sweep should visit next: a per-partition due-time index, kept in memory.

The timer asks only for leads that are due, so no sweep scans every lead. The index is a
scheduling aid, not state: what a sweep does is logged (`SweepLeads` names its leads), so losing
the index loses nothing; after a rebalance it is seeded from the table, spread over one period.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterable


class DueIndex:
    """Per partition: lead → due time (µs), with a heap for the earliest; stale heap rows skip."""

    def __init__(self, every_us: int) -> None:
        self.every_us = max(0, every_us)
        self._due: dict[int, dict[str, int]] = {}
        self._heaps: dict[int, list[tuple[int, str]]] = {}

    def __len__(self) -> int:
        return sum(len(due) for due in self._due.values())

    def partitions(self) -> set[int]:
        """Partitions the index holds leads of."""
        return set(self._due)

    def _push(self, partition: int, lead_id: str, at_us: int) -> None:
        self._due.setdefault(partition, {})[lead_id] = at_us
        heapq.heappush(self._heaps.setdefault(partition, []), (at_us, lead_id))

    def schedule(self, partition: int, lead_id: str, now_us: int, keep: bool = True) -> None:
        """Sweep the lead one period from now (unless already scheduled); `keep=False` drops it."""
        due = self._due.setdefault(partition, {})
        if not keep:
            due.pop(lead_id, None)
        elif lead_id not in due:
            self._push(partition, lead_id, now_us + self.every_us)

    def seed(self, partition: int, lead_ids: Iterable[str], now_us: int) -> None:
        """Leads found in the table after a rebalance, spread evenly over the next period."""
        self._due.setdefault(partition, {})
        for lead_id in lead_ids:
            jitter = zlib.crc32(lead_id.encode()) % self.every_us if self.every_us else 0
            self._push(partition, lead_id, now_us + jitter)

    def pop_due(self, partition: int, now_us: int, limit: int) -> list[str]:
        """Up to `limit` leads due by now, earliest first; they leave the index till rescheduled."""
        heap, due = self._heaps.get(partition, []), self._due.get(partition, {})
        found: list[str] = []
        while heap and heap[0][0] <= now_us and len(found) < limit:
            at_us, lead_id = heapq.heappop(heap)
            if due.get(lead_id) == at_us:
                del due[lead_id]
                found.append(lead_id)
        return found

    def forget(self, partitions: Iterable[int]) -> None:
        """Drop partitions this worker no longer owns."""
        for partition in partitions:
            self._due.pop(partition, None)
            self._heaps.pop(partition, None)

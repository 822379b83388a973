"""What the alerts worker's /readyz checks: its database answers, partitions owned, caught up."""

from __future__ import annotations

from alerts.worker.runner import StaleDetector
from runtime.ops_http import ReadinessCheck


def readiness(detector: StaleDetector, max_lag: int) -> dict[str, ReadinessCheck]:
    """The checks: the pool answers; partitions assigned; at most `max_lag` records unread."""

    async def postgres() -> None:
        await detector.pool.fetchval("SELECT 1")

    async def consuming() -> None:
        if not detector.consumer.assignment():
            raise RuntimeError("no partition assigned yet")
        if detector.behind is None:
            raise RuntimeError("no fetch answered yet")
        if detector.behind > max_lag:
            raise RuntimeError(f"{detector.behind} records behind (ready at {max_lag} or fewer)")

    return {"postgres": postgres, "consuming": consuming}

"""What the projector's /readyz checks: PostgreSQL answers, partitions owned, caught up enough."""

from __future__ import annotations

import asyncpg

from funnel.projector.runner import Projector
from runtime.ops_http import ReadinessCheck


def readiness(projector: Projector, database_url: str, max_lag: int) -> dict[str, ReadinessCheck]:
    """The checks: a fresh connection answers; partitions assigned; at most `max_lag` behind."""

    async def postgres() -> None:
        conn = await asyncpg.connect(database_url, timeout=2)  # not the batches' connection
        try:
            await conn.fetchval("SELECT 1")
        finally:
            await conn.close()

    async def consuming() -> None:
        if not projector.partitions:
            raise RuntimeError("no partition assigned yet")
        behind = projector.behind()
        if behind is None:
            raise RuntimeError("no fetch answered yet")
        if behind > max_lag:
            raise RuntimeError(f"{behind} messages behind (ready at {max_lag} or fewer)")

    return {"postgres": postgres, "consuming": consuming}

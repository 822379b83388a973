"""`GET /v1/health-check?month=YYYY-MM`: the monthly sales health check, for the query app."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel

from alerts.model.health import HealthIndicator, HealthReport
from alerts.worker.checks import health_report
from alerts.worker.config import ChecksConfig
from runtime.ops_http import invalid_query

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
# The check looks back over earlier months and ahead to the month's end: keep them datable.
FIRST_YEAR, LAST_YEAR = 1900, 9000


class HealthCheckOut(BaseModel):
    """The health check of one month, judged at `as_of`; `failed` names the red indicators."""

    month: str
    period_start: datetime
    period_end: datetime
    as_of: datetime
    indicators: list[HealthIndicator]
    failed: list[str]


def report_out(report: HealthReport) -> HealthCheckOut:
    """The API shape of a report (field names stable, documented in OpenAPI)."""
    return HealthCheckOut(
        month=report.month,
        period_start=report.period.start,
        period_end=report.period.end,
        as_of=report.as_of,
        indicators=list(report.indicators),
        failed=[str(i.name) for i in report.failed],
    )


async def _pool(request: Request) -> Any:
    return request.app.state.pool


PoolDep = Annotated[Any, Depends(_pool)]


def health_check_router(config: ChecksConfig, dependencies: Sequence[Any] = ()) -> APIRouter:
    """Router for the health check; pass the app's read-token dependency in `dependencies`."""
    answers: dict[int | str, dict[str, Any]] = {
        401: {"description": "no read token"},
        403: {"description": "not a read token"},
    }
    router = APIRouter(
        prefix="/v1", tags=["health check"], dependencies=list(dependencies), responses=answers
    )

    @router.get("/health-check", response_model=HealthCheckOut)
    async def get_health_check(
        pool: PoolDep,
        month: Annotated[str, Query(pattern=MONTH, description="calendar month, YYYY-MM")],
        as_of: Annotated[
            AwareDatetime | None,
            Query(description="judge on the facts known then (default: now, or the month's end)"),
        ] = None,
    ) -> HealthCheckOut:
        """The month's four indicators with value, normal and alarm range, status and action."""
        if not FIRST_YEAR <= int(month[:4]) <= LAST_YEAR:
            raise invalid_query("month", f"year must be {FIRST_YEAR}..{LAST_YEAR}")
        async with pool.acquire() as conn:
            report = await health_report(conn, config, month, as_of)
        if as_of is None and report.as_of > (now := datetime.now(UTC)):
            async with pool.acquire() as conn:  # a month still running: judge it as of now
                report = await health_report(conn, config, month, now)
        return report_out(report)

    return router

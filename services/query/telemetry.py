"""Query latency per endpoint (route template, method and status) for Prometheus."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import Histogram

QUERY_SECONDS = Histogram(
    "leadfunnel_query_seconds",
    "Query API latency per endpoint",
    ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def instrument(app: FastAPI) -> None:
    """Time every /v1 request under its route template (never the raw path: ids are unbounded)."""

    @app.middleware("http")
    async def timed(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        endpoint = getattr(route, "path", None)
        if endpoint and endpoint.startswith("/v1/"):
            QUERY_SECONDS.labels(request.method, endpoint, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

"""Operational endpoints every HTTP service shares: /healthz, /readyz and /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

import asyncpg
import orjson
from aiokafka.client import AIOKafkaClient
from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from runtime.http_errors import ERROR_SCHEMA, api_error, error_body
from schemas.storable import unstorable

ReadinessCheck = Callable[[], Awaitable[None]]


def json_response(payload: object, status_code: int = 200) -> Response:
    """A JSON response serialised with orjson."""
    return Response(orjson.dumps(payload), status_code=status_code, media_type="application/json")


def invalid_query(name: str, message: str) -> HTTPException:
    """A 422 naming the query parameter, in the one error body (as FastAPI's own are answered)."""
    return api_error(422, "invalid_query", f"query parameter {name!r}: {message}", f"/query/{name}")


def storable_query(request: Request) -> None:
    """A dependency: a 422 for a query parameter holding U+0000 (the database refuses it)."""
    for name, value in request.query_params.multi_items():
        problem = unstorable(value)
        if problem is not None:
            raise invalid_query(name, f"{problem[1]} is not accepted")


def utc_or_422(name: str, at: datetime) -> datetime:
    """`at` in UTC; a 422 naming the parameter when UTC has no such moment (year 0 or 10000)."""
    try:
        return at.astimezone(UTC)
    except OverflowError as error:
        raise invalid_query(name, "not a representable UTC time") from error


def kafka_check(client: AIOKafkaClient) -> ReadinessCheck:
    """Readiness of the broker: it answers a metadata request."""

    async def check() -> None:
        if not client.cluster.brokers():
            await client.bootstrap()  # the broker was down when the service started
        if not await client.fetch_all_metadata():
            raise ConnectionError("Kafka did not answer a metadata request")

    return check


def postgres_check(pool: asyncpg.Pool) -> ReadinessCheck:
    """Readiness of PostgreSQL: a pooled connection runs a query."""

    async def check() -> None:
        await pool.fetchval("SELECT 1")

    return check


async def _failures(checks: Mapping[str, ReadinessCheck], timeout: float) -> dict[str, str]:
    async def run(check: ReadinessCheck) -> str | None:
        try:
            await asyncio.wait_for(check(), timeout)
        except TimeoutError:
            return f"no answer within {timeout}s"
        except Exception as error:  # any failure makes the service unready, with its reason
            return f"{type(error).__name__}: {error}"
        return None

    results = await asyncio.gather(*(run(check) for check in checks.values()))
    return {name: reason for name, reason in zip(checks, results, strict=True) if reason}


def _probe_answer(description: str) -> dict[str, object]:
    # The one error body, with the probe's own fields (`status`, `reason` / `failures`) beside it.
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def ops_router(
    checks: Callable[[], Mapping[str, ReadinessCheck]],
    timeout: float,
    stalled: Callable[[], str | None] = lambda: None,
) -> APIRouter:
    """Router with liveness, readiness (503 naming what failed) and Prometheus metrics.

    `stalled` says why the process is alive but stuck (a worker's loop that stopped turning),
    or None: /healthz answers 503 with the reason, so an orchestrator restarts it.
    """
    router = APIRouter(tags=["operations"])

    @router.get(
        "/healthz",
        responses={503: _probe_answer("The process answers but its work loop is stuck")},
    )
    async def healthz() -> Response:
        """Alive: the process answers and its work loop turns."""
        reason = stalled()
        if reason is not None:
            body = {**error_body("stalled", reason), "status": "stalled", "reason": reason}
            return json_response(body, 503)
        return json_response({"status": "ok"})

    @router.get(
        "/readyz",
        responses={
            200: {"content": {"application/json": {"schema": {"type": "object"}}}},
            503: _probe_answer("A dependency did not answer: `failures` names it"),
        },
    )
    async def readyz() -> Response:
        """Ready: every dependency answered; otherwise 503 with the reasons."""
        current = checks()
        failures = await _failures(current, timeout)
        if failures:
            message = "not ready: " + ", ".join(sorted(failures))
            body = {**error_body("unavailable", message), "status": "unavailable"}
            return json_response({**body, "failures": failures}, 503)
        return json_response({"status": "ready", "checked": sorted(current)})

    @router.get(
        "/metrics",
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        """Prometheus text exposition of this process's metrics."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router

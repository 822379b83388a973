"""JSON log lines with the request id, and the middleware that takes or makes the id."""

from __future__ import annotations

import io
import logging

import httpx
import orjson
from fastapi import FastAPI

from runtime.logs import REQUEST_ID, JsonLines, NoQueryStrings, RequestIdMiddleware


def formatted(
    record_extra: dict[str, object], message: str = "event rejected"
) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(message, extra=record_extra)
    finally:
        logger.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    parsed: dict[str, object] = orjson.loads(line)
    return parsed


def test_a_line_is_one_json_object_with_the_request_id_and_the_named_fields() -> None:
    token = REQUEST_ID.set("req-1")
    try:
        line = formatted({"reason": "invalid_value", "pointer": "/userId", "secret": "x"})
    finally:
        REQUEST_ID.reset(token)
    assert line["level"] == "warning" and line["logger"] == "test.logs"
    assert (line["request_id"], line["reason"], line["pointer"]) == (
        "req-1",
        "invalid_value",
        "/userId",
    )
    assert "secret" not in line  # only the named fields travel


def app() -> FastAPI:
    served = FastAPI()

    @served.get("/id")
    async def current() -> dict[str, str | None]:
        return {"id": REQUEST_ID.get()}

    served.add_middleware(RequestIdMiddleware)
    return served


async def test_the_clients_request_id_is_used_and_echoed_and_a_missing_one_is_made() -> None:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        given = await client.get("/id", headers={"X-Request-Id": "abc-123"})
        made = await client.get("/id")
        hostile = await client.get("/id", headers={"X-Request-Id": "a b\nc"})

    assert given.headers["x-request-id"] == "abc-123" and given.json() == {"id": "abc-123"}
    assert (
        len(made.headers["x-request-id"]) == 32
        and made.json()["id"] == made.headers["x-request-id"]
    )
    assert hostile.headers["x-request-id"] != "a b\nc"  # replaced, never echoed
    assert REQUEST_ID.get() is None


def test_access_lines_leave_the_query_string_out() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "DELETE", "/v1/people?email=li%40example.cn", "1.1", 200),
        None,
    )
    assert NoQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "DELETE /v1/people HTTP/1.1" 200'

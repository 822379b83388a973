"""Ingest logs one JSON line per rejection: request id, reason and pointer, never the payload."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import orjson
import pytest

from services.ingest.app import create_app
from services.settings import DEV_WRITE_KEY, Settings
from tests.integration.log_capture import json_log_lines


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    with json_log_lines("ingest") as stream:
        yield stream


async def test_a_rejected_event_is_logged_with_its_request_id_and_reason_without_pii(
    isolated_settings: Settings, lines: io.StringIO
) -> None:
    app = create_app(isolated_settings)
    secret_email = "wang.li+secret@example.cn"
    call = {"type": "track", "event": "x", "timestamp": "yesterday", "userId": "u-1"}
    body = {"batch": [{**call, "context": {"traits": {"email": secret_email}}}]}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", auth=(DEV_WRITE_KEY, "")
        ) as client:
            answer = await client.post("/v1/batch", json=body, headers={"X-Request-Id": "req-42"})

    assert answer.status_code == 400, answer.text
    assert answer.headers["x-request-id"] == "req-42"
    logged = [orjson.loads(line) for line in lines.getvalue().splitlines()]
    rejected = [line for line in logged if line["message"] == "event rejected"]
    assert rejected and rejected[0]["request_id"] == "req-42"
    assert (rejected[0]["reason"], rejected[0]["pointer"]) == (
        "invalid_timestamp",
        "/batch/0/timestamp",
    )
    assert secret_email not in lines.getvalue() and DEV_WRITE_KEY not in lines.getvalue()

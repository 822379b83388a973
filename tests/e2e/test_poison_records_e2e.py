"""Hostile input against the running system: refused at the door, or dead-lettered and skipped.

Ingest refuses what no consumer can store; a record another producer wrote past ingest is
dead-lettered by the projector and the alerts worker, whose positions move past it, and an event
posted after it still reaches the read model. Odd query parameters get 4xx, never 500.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from schemas.outgoing import DeadLetter
from schemas.storable import MAX_DEPTH
from schemas.topics import DEAD_LETTERS, LEAD_EVENTS, RAW_EVENTS
from services.settings import DEV_READ_TOKEN, DEV_WRITE_KEY
from tests.e2e.conftest import RunningSystem
from tests.e2e.test_funnel_e2e import _wait_for
from tests.support.kafka import read_topic

READ = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
WRITE = httpx.BasicAuth(DEV_WRITE_KEY, "")
NUL_IDENTIFY = b'{"type":"identify","userId":"x","context":{"a\\u0000b":[]}}'


def test_ingest_refuses_u0000_and_lone_surrogates_naming_where(
    running_system: RunningSystem,
) -> None:
    ingest = httpx.Client(base_url=running_system.ingest_url, auth=WRITE, timeout=10)
    json = {"Content-Type": "application/json"}

    nul = ingest.post("/v1/identify", content=NUL_IDENTIFY, headers=json)
    batch = ingest.post(
        "/v1/batch",
        content=b'{"batch":[{"type":"track","userId":"u","event":"x","properties":{"k":"a\\u0000"}}]}',
        headers=json,
    )
    surrogate = ingest.post(
        "/v1/track",
        content=b'{"userId":"u","event":"x","properties":{"k":"\\ud800"}}',
        headers=json,
    )

    assert nul.status_code == 400
    assert (nul.json()["code"], nul.json()["pointer"]) == ("invalid_value", "/context/a\u0000b")
    assert "U+0000" in nul.json()["message"]
    assert batch.status_code == 400 and "/batch/0/properties/k" in batch.text
    assert surrogate.status_code == 400 and surrogate.json()["code"] == "malformed_json"


def test_a_plain_segment_form_submission_is_accepted_and_scored(
    running_system: RunningSystem,
) -> None:
    run = uuid.uuid4().hex[:8]
    ingest = httpx.Client(base_url=running_system.ingest_url, auth=WRITE, timeout=10)
    query = httpx.Client(base_url=running_system.query_url, headers=READ, timeout=10)
    campaign = f"seg-{run}"
    call = {
        "userId": f"seg-{run}",
        "event": "Form Submitted",
        "properties": {},
        "context": {"campaign": {"name": campaign}},
    }

    answer = ingest.post("/v1/track", json=call)

    assert answer.status_code == 200, answer.text

    def scored_lead() -> list[dict[str, Any]]:
        found, cursor = [], None
        while True:  # every page: other tests of the session share the system
            params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = query.get("/v1/leads", params=params).json()
            found += [lead for lead in page["items"] if lead["first_campaign"] == campaign]
            cursor = page["next_cursor"]
            if cursor is None:
                return [lead for lead in found if lead["score"] > 0]

    assert _wait_for(scored_lead, "a lead scored for the form")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/leads", {"stale": "true", "stale_days": "740000"}, "stale_days"),
        ("/v1/leads", {"stale": "true", "as_of": "0001-01-01T00:00:00Z"}, "as_of"),
        ("/v1/health-check", {"month": "0000-01"}, "month"),
        ("/v1/health-check", {"month": "0001-01"}, "month"),
        ("/v1/health-check", {"month": "9999-12"}, "month"),
        ("/v1/funnel/stages", {"from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ("/v1/leads", {"cursor": "not-a-cursor"}, "cursor"),
        ("/v1/leads", {"stale": "true", "as_of": "0001-01-01T00:00:00+14:00"}, "as_of"),
        ("/v1/funnel/tiers", {"from": "0001-01-01T00:00:00+14:00", "group_by": "month"}, "from"),
        ("/v1/funnel/cycle", {"to": "9999-12-31T23:59:59-12:00"}, "to"),
    ],
)
def test_out_of_range_query_parameters_get_a_422_in_the_declared_shape(
    running_system: RunningSystem, path: str, params: dict[str, str], field: str
) -> None:
    answer = httpx.get(f"{running_system.query_url}{path}", params=params, headers=READ)

    assert answer.status_code == 422, answer.text
    error = answer.json()
    assert (error["code"], error["pointer"]) == ("invalid_query", f"/query/{field}"), error
    assert isinstance(error["message"], str) and field in error["message"]


async def _produce_raw(bootstrap: str, topic: str, value: bytes, key: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def _positions(database_url: str, consumers: list[str]) -> dict[tuple[str, str, int], int]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT projector, topic, partition, next_offset FROM projection_positions"
            " WHERE projector = ANY($1::text[])",
            consumers,
        )
    finally:
        await conn.close()
    return {(r["projector"], r["topic"], r["partition"]): r["next_offset"] for r in rows}


def test_a_poison_record_written_past_ingest_is_dead_lettered_and_the_read_models_move_on(
    running_system: RunningSystem,
) -> None:
    s = running_system.settings
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC).isoformat()
    poison = {
        "event_id": f"poison-{run}",
        "type": "page_viewed",
        "channel": "website",
        "occurred_at": now,
        "received_at": now,
        "source": "another-producer",
        "identities": {"anonymous_id": f"poison-{run}"},
        "context": {"a\u0000b": []},
        "properties": {"url": "https://example.cn/"},
    }
    asyncio.run(
        _produce_raw(
            s.kafka_bootstrap,
            RAW_EVENTS.name(s.topic_prefix),
            orjson.dumps(poison),
            f"anon:poison-{run}".encode(),
        )
    )
    ingest = httpx.Client(base_url=running_system.ingest_url, auth=WRITE, timeout=10)
    query = httpx.Client(base_url=running_system.query_url, headers=READ, timeout=10)
    owner = f"rep-{run}"
    good = {"crm_lead_id": f"after-{run}", "opportunity_id": f"opp-{run}", "stage": "first_contact",
            "owner": owner, "occurred_at": now, "event_id": f"{run}-after"}  # fmt: skip

    assert ingest.post("/v1/crm/stage-changes", json=[good]).status_code == 200

    def good_lead() -> list[Any]:
        items: list[Any] = query.get("/v1/leads", params={"owner": owner}).json()["items"]
        return items

    _wait_for(good_lead, "the event posted after the poison record, in the read model")

    def poison_letters() -> list[DeadLetter]:
        letters = [
            DeadLetter.model_validate_json(value)
            for _, value in asyncio.run(read_topic(s, DEAD_LETTERS))
        ]
        found = [letter for letter in letters if f"poison-{run}" in letter.payload]
        consumers = {letter.reason.split(": ")[0] for letter in found}
        return found if {"projector:funnel", "alerts:alerts"} <= consumers else []

    letters = _wait_for(poison_letters, "the poison record dead-lettered by projector and alerts")
    assert all("U+0000" in letter.reason for letter in letters)
    where = {(letter.source, letter.partition, letter.offset) for letter in letters}
    assert len(where) == 1  # one record, named by its position
    topic, partition, offset = where.pop()
    assert partition is not None and offset is not None

    def moved_past() -> bool:
        stored = asyncio.run(_positions(s.database_url, ["funnel", "alerts:alerts"]))
        return all(
            stored.get((name, topic, partition), 0) > offset for name in ("funnel", "alerts:alerts")
        )

    assert _wait_for(moved_past, "both consumers' positions past the poison record")


def test_an_event_at_the_depth_limit_reaches_events_resolved_and_one_past_it_is_a_400(
    running_system: RunningSystem,
) -> None:
    s = running_system.settings
    ingest = httpx.Client(base_url=running_system.ingest_url, auth=WRITE, timeout=10)

    def call(levels: int, event_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for _ in range(levels - 2):  # the call is level 1, its properties level 2
            properties = {"a": properties}
        return {"userId": f"deep-{event_id}", "event": "Deep", "messageId": event_id,
                "properties": properties}  # fmt: skip

    run = uuid.uuid4().hex[:8]
    at_limit = ingest.post("/v1/track", json=call(MAX_DEPTH, f"deep-{run}"))
    past = ingest.post("/v1/track", json=call(MAX_DEPTH + 1, f"past-{run}"))

    assert at_limit.status_code == 200, at_limit.text
    assert past.status_code == 400 and f"deeper than {MAX_DEPTH} levels" in past.json()["message"]

    def resolved() -> bool:
        records = asyncio.run(read_topic(s, LEAD_EVENTS))
        return any(f"deep-{run}".encode() in value for _, value in records)

    assert _wait_for(resolved, "the event at the depth limit on events.resolved")

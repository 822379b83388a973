"""One bad record never stops the projector or the alerts worker (real Kafka and PostgreSQL).

Two kinds of poison, both with good records on either side in the same batch: a record whose
strings hold U+0000 (no consumer can store it; another producer wrote it past ingest), and a
record the database refuses by a constraint. Each consumer dead-letters both with their source
position, writes every other record, and stores positions past all of them.
"""

from __future__ import annotations

import asyncpg
import orjson
from prometheus_client import REGISTRY

from funnel.projector import Projector
from funnel.wiring import projector_config
from schemas.outgoing import DeadLetter
from schemas.topics import DEAD_LETTERS, LEAD_EVENTS
from services.settings import Settings
from tests.integration.alerts_fixtures import (  # noqa: F401 (fixture)
    alerts_settings,
    read_topic,
    settled,
    start_alerts,
)
from tests.integration.funnel_fixtures import publish
from tests.support.funnel_factories import communication, day, page_view

REFUSED_LEAD = "POISON"  # the test's constraint refuses this lead's rows


def nul_record() -> bytes:
    """A resolved event that decodes as JSON but holds U+0000 in a context key."""
    event = page_view("NUL", day(1)).model_dump(mode="json")
    event["event"]["context"] = {"a\u0000b": []}
    return orjson.dumps(event)


async def dead_letters(settings: Settings) -> list[DeadLetter]:
    return [
        DeadLetter.model_validate_json(value)
        for _, value in await read_topic(settings, DEAD_LETTERS)
    ]


async def end_offsets_sum(pg: asyncpg.Connection, consumer: str) -> int:
    return int(
        await pg.fetchval(
            "SELECT coalesce(sum(next_offset), 0) FROM projection_positions WHERE projector = $1",
            consumer,
        )
    )


def samples(consumer: str, reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "leadfunnel_consumer_dead_letters_total", {"consumer": consumer, "reason": reason}
    )
    return value or 0.0


async def test_the_projector_dead_letters_poison_and_projects_the_rest_of_the_batch(
    funnel_settings: Settings, pg: asyncpg.Connection
) -> None:
    s, schema = funnel_settings, funnel_settings.funnel_schema
    topic = LEAD_EVENTS.name(s.topic_prefix)
    await pg.execute(
        f"ALTER TABLE {schema}.lead_events"
        f" ADD CONSTRAINT refuses_poison CHECK (lead_id <> '{REFUSED_LEAD}')"
    )
    consumer = f"projector:{schema}"
    before = samples(consumer, "refused"), samples(consumer, "undecodable")
    await publish(
        s,
        [
            page_view("A", day(0)),
            page_view(REFUSED_LEAD, day(1)),
            (topic, nul_record()),
            page_view("B", day(2)),
            page_view(REFUSED_LEAD, day(3)),
            page_view("A", day(4)),
        ],
    )

    projector = Projector(
        projector_config(s), max_records=500
    )  # one batch: the poison shares it with good records
    await projector.start()
    try:
        await projector.catch_up()
        ends = await projector.end_offsets()
    finally:
        await projector.stop()

    timeline = await pg.fetch(f"SELECT lead_id, count(*) AS n FROM {schema}.lead_events GROUP BY 1")
    assert {r["lead_id"]: r["n"] for r in timeline} == {"A": 2, "B": 1}
    leads = {r["lead_id"] for r in await pg.fetch(f"SELECT lead_id FROM {schema}.leads")}
    assert leads == {"A", "B"}
    assert await end_offsets_sum(pg, schema) == sum(ends.values())
    letters = await dead_letters(s)
    assert sorted((letter.reason.split(": ")[1], letter.source) for letter in letters) == [
        ("CheckViolationError", topic),
        ("CheckViolationError", topic),
        ("unstorable", topic),
    ]
    assert all(letter.reason.startswith(f"{consumer}: ") for letter in letters)
    unstorable = next(letter for letter in letters if "unstorable" in letter.reason)
    assert unstorable.field == "/event/context/a\u0000b" and unstorable.offset is not None
    assert {orjson.loads(letter.payload)["lead_id"] for letter in letters} == {REFUSED_LEAD, "NUL"}
    after = samples(consumer, "refused"), samples(consumer, "undecodable")
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)


async def test_the_alerts_worker_dead_letters_poison_and_folds_the_rest(
    alerts_settings: Settings,  # noqa: F811
    pg: asyncpg.Connection,
) -> None:
    s = alerts_settings
    topic = LEAD_EVENTS.name(s.topic_prefix)
    await pg.execute(
        f"ALTER TABLE {s.alerts_schema}.lead_activity"
        f" ADD CONSTRAINT refuses_poison CHECK (lead_id <> '{REFUSED_LEAD}')"
    )
    await publish(
        s,
        [
            page_view("A", day(0)),
            communication(REFUSED_LEAD, day(1), effective=True),
            (topic, nul_record()),
            communication("B", day(2), effective=True),
            page_view("A", day(3)),
        ],
    )

    running = await start_alerts(s)
    try:
        await settled(s, running)  # every source record's position stored: nothing blocks
    finally:
        await running.close()

    tracked = await pg.fetch(f"SELECT lead_id FROM {s.alerts_schema}.lead_activity")
    assert {r["lead_id"] for r in tracked} == {"A", "B"}
    consumer = f"alerts:{s.alerts_schema}"
    letters = [letter for letter in await dead_letters(s) if letter.reason.startswith(consumer)]
    assert sorted(letter.reason.split(": ")[1] for letter in letters) == [
        "CheckViolationError",
        "unstorable",
    ]
    assert {letter.source for letter in letters} == {topic}
    assert all(letter.partition is not None and letter.offset is not None for letter in letters)

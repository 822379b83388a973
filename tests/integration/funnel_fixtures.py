"""Fixtures for funnel tests: a read-model schema of its own per test, publishing, table dumps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pydantic import BaseModel

from funnel.projector import Projector
from funnel.projector.rebuild import clone_schema, drop_schema
from funnel.wiring import projector_config
from schemas.events import SalesStageChangedEvent
from schemas.outgoing import (
    LeadDemoted,
    LeadPromoted,
    LeadsMerged,
    ResolvedEvent,
    ScoreChanged,
    Tier,
)
from schemas.topics import LEAD_EVENTS, LEAD_MERGES, LEAD_SCORES, PROMOTIONS, SALES_STAGES
from services.query.app import create_app
from services.settings import Settings
from tests.support.funnel_factories import (
    communication,
    day,
    demoted,
    merged,
    page_view,
    promoted,
    score,
    stage_change,
)

Message = BaseModel
Raw = tuple[str, bytes | None]  # (topic, value): poison messages and tombstones


@pytest.fixture
async def funnel_settings(
    isolated_settings: Settings, unique: str, database_url: str
) -> AsyncIterator[Settings]:
    """Isolated topics plus a read-model schema of this test's own (a copy of `funnel`)."""
    schema = f"funnel_t{unique}"
    admin = await asyncpg.connect(database_url)
    try:
        await clone_schema(admin, "funnel", schema)
        yield isolated_settings.model_copy(update={"funnel_schema": schema})
    finally:
        for leftover in (schema, f"{schema}__rebuild", f"{schema}_copy"):
            await drop_schema(admin, leftover)
        await admin.close()


def route(settings: Settings, message: Message) -> tuple[str, str, bytes]:
    """Topic, key and value a producer upstream would publish the message with."""
    prefix = settings.topic_prefix
    match message:
        case ResolvedEvent():
            return LEAD_EVENTS.name(prefix), message.lead_id, message.model_dump_json().encode()
        case ScoreChanged():
            return LEAD_SCORES.name(prefix), message.lead_id, message.model_dump_json().encode()
        case LeadPromoted() | LeadDemoted():
            return PROMOTIONS.name(prefix), message.lead_id, message.model_dump_json().encode()
        case LeadsMerged():
            topic = LEAD_MERGES.name(prefix)
            return topic, message.surviving_lead_id, message.model_dump_json().encode()
        case SalesStageChangedEvent():
            topic, key = SALES_STAGES.name(prefix), message.properties.opportunity_id
            return topic, key, message.model_dump_json(exclude_none=True).encode()
    raise TypeError(f"no topic for {type(message).__name__}")


async def publish(settings: Settings, messages: Iterable[Message | Raw]) -> None:
    """Publish contract messages (or raw (topic, bytes) pairs) and wait for the broker."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        sent = []
        for message in messages:
            if isinstance(message, tuple):
                topic, value = message
                sent.append(await producer.send(topic, value, key=b"poison"))
            else:
                topic, key, value = route(settings, message)
                sent.append(await producer.send(topic, value, key=key.encode()))
        for future in sent:
            await future
    finally:
        await producer.stop()


async def dump(conn: Any, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the schema, sorted: equal dumps mean equal read models."""
    tables = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", schema
    )
    result: dict[str, list[tuple[Any, ...]]] = {}
    for row in tables:
        rows = await conn.fetch(f"SELECT * FROM {schema}.{row['tablename']}")
        result[row["tablename"]] = sorted(tuple(map(repr, r.values())) for r in rows)
    return result


def scenario(settings: Settings) -> list[Message | Raw]:
    """Four leads across channels, scores, tiers, a merge, two opportunities and bad input."""
    lead_events = LEAD_EVENTS.name(settings.topic_prefix)
    o3_entry = stage_change("L3", "O3", "first_contact", day(4), owner="zhao", event_id="o3-fc")
    return [
        page_view("L1", day(0), channel="website", campaign="spring"),
        score("L1", 10, day(0), Tier.LEAD, page_view=10),
        communication("L1", day(4), effective=True, owner="wang"),
        promoted("L1", Tier.LEAD, Tier.MQL, day(1)),
        score("L1", 45, day(1), Tier.MQL, page_view=10, form=35),
        promoted("L1", Tier.MQL, Tier.SQL, day(2)),
        score("L1", 80, day(2), Tier.SQL, page_view=10, form=35, demo=35),
        stage_change("L1", "O1", "first_contact", day(3), owner="wang"),
        stage_change("L1", "O1", "needs_confirmed", day(5)),
        page_view("L2", day(-1), channel="wechat", identities={"wechat_openid": "wx-2"}),
        score("L2", 5, day(-1), Tier.LEAD),
        merged("L1", "L2", day(6)),
        page_view("L2", day(7), channel="wechat"),  # late event of the merged lead
        stage_change("L1", "O1", "demo", day(8)),
        stage_change("L1", "O1", "won", day(12), amount=300_000.0),
        page_view("L3", day(2), channel="ads", campaign="brand"),
        promoted("L3", Tier.LEAD, Tier.MQL, day(3)),
        demoted("L3", Tier.MQL, Tier.LEAD, day(20)),
        o3_entry,
        o3_entry.event,  # the CRM's own copy on the sales-stage topic
        stage_change("L3", "O3", "lost", day(9), lost_reason="price"),
        page_view("L4", day(1), channel="email"),
        (lead_events, b'{"lead_id": "L9"}'),
        (LEAD_SCORES.name(settings.topic_prefix), None),
    ]


def bulk_scenario(settings: Settings, leads: int) -> list[Message | Raw]:
    """The scenario plus `leads` generated leads (~15 messages each) with merges every 7th."""
    messages = scenario(settings)
    stages = ["first_contact", "needs_confirmed", "demo", "quote_negotiation", "won"]
    for n in range(leads):
        lead, at = f"G{n}", day(n % 9)
        channel = ("website", "wechat", "ads", "email")[n % 4]
        messages += [page_view(lead, at, channel=channel, campaign=f"c{n % 3}")]
        messages += [score(lead, 10 * k, day(n % 9 + k), Tier.LEAD) for k in range(1, 4)]
        messages += [promoted(lead, Tier.LEAD, Tier.MQL, day(n % 9 + 1))]
        messages += [communication(lead, day(n % 9 + 2), effective=n % 2 == 0)]
        reached = stages[: 2 + n % 4]
        messages += [
            stage_change(lead, f"OG{n}", stage, day(n % 9 + 3 + 2 * k), owner=f"rep{n % 2}")
            for k, stage in enumerate(reached)
        ]
        if n % 7 == 6:
            messages += [merged(f"G{n - 1}", lead, day(n % 9 + 9))]
            messages += [page_view(lead, day(n % 9 + 10), channel="website")]
        messages += [page_view(lead, day(n % 9 + 11), channel=channel)]
    return messages


async def project(settings: Settings) -> None:
    """Project the whole log, as it is now, into the settings' schema."""
    projector = Projector(projector_config(settings))
    await projector.start()
    try:
        await projector.catch_up()
    finally:
        await projector.stop()


async def project_all(settings: Settings, messages: Iterable[Message | Raw]) -> None:
    """Publish the messages and project the whole log into the settings' schema."""
    await publish(settings, messages)
    await project(settings)


@asynccontextmanager
async def query_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The query app (lifespan running) over the settings' read models, in process."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://query") as client:
            yield client

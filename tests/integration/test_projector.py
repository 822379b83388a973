"""The projector against the real broker and database: rows, merges, dead letters, positions."""

from __future__ import annotations

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer
from prometheus_client import REGISTRY

from funnel.projector import Projector
from funnel.wiring import projector_config
from schemas.topics import DEAD_LETTERS, LEAD_EVENTS
from services.settings import Settings
from tests.integration.funnel_fixtures import publish, scenario
from tests.support.funnel_factories import day, page_view


async def project(settings: Settings, schema: str | None = None) -> None:
    projector = Projector(projector_config(settings), schema=schema, max_records=50)
    await projector.start()
    try:
        await projector.catch_up()
    finally:
        await projector.stop()


async def test_contract_messages_become_leads_tiers_stages_and_timeline(
    funnel_settings: Settings, pg: asyncpg.Connection
) -> None:
    schema = funnel_settings.funnel_schema
    await publish(funnel_settings, scenario(funnel_settings))

    await project(funnel_settings)

    leads = {r["lead_id"]: r for r in await pg.fetch(f"SELECT * FROM {schema}.leads")}
    assert sorted(leads) == ["L1", "L3", "L4"]  # L2 was merged into L1
    l1 = leads["L1"]
    assert (l1["tier"], l1["score"], l1["first_channel"], l1["owner"]) == (
        "sql",
        80,
        "wechat",
        "wang",
    )
    assert orjson.loads(l1["contributions"]) == {"page_view": 10, "form": 35, "demo": 35}
    assert (l1["mql_at"], l1["sql_at"], l1["won_at"]) == (day(1), day(2), day(12))
    assert (l1["first_seen_at"], l1["last_activity_at"]) == (day(-1), day(12))
    assert l1["last_effective_contact_at"] == day(4)
    identities = await pg.fetch(
        f"SELECT identity FROM {schema}.lead_identities WHERE lead_id = 'L1'"
    )
    assert "wx_open:-/wx-2" in {r["identity"] for r in identities}
    timeline = await pg.fetchval(f"SELECT count(*) FROM {schema}.lead_events WHERE lead_id = 'L1'")
    assert timeline == 8  # a view, a call and four stage changes of its own, and L2's two views
    stays = await pg.fetch(
        f"SELECT stage, outcome, lost_reason, lead_id FROM {schema}.stage_intervals"
        " ORDER BY opportunity_id, seq"
    )
    assert [tuple(r.values()) for r in stays] == [
        ("first_contact", "advanced", None, "L1"),
        ("needs_confirmed", "advanced", None, "L1"),
        ("demo", "won", None, "L1"),
        ("first_contact", "lost", "price", "L3"),
    ]
    kinds = await pg.fetch(f"SELECT lead_id, kind FROM {schema}.tier_transitions ORDER BY 1, 2")
    assert [tuple(r.values()) for r in kinds] == [
        ("L1", "promoted"),
        ("L1", "promoted"),
        ("L3", "demoted"),
        ("L3", "promoted"),
    ]


async def test_poison_messages_go_to_dead_letters_with_the_reason(
    funnel_settings: Settings,
) -> None:
    await publish(funnel_settings, scenario(funnel_settings))

    await project(funnel_settings)

    consumer = AIOKafkaConsumer(
        DEAD_LETTERS.name(funnel_settings.topic_prefix),
        bootstrap_servers=funnel_settings.kafka_bootstrap,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()
    letters = [orjson.loads(m.value) for messages in batch.values() for m in messages]
    assert len(letters) == 1
    assert letters[0]["payload"] == '{"lead_id": "L9"}'
    assert letters[0]["field"] == "/event" and "missing" in letters[0]["reason"]


async def test_a_restart_resumes_from_the_stored_positions_without_double_counting(
    funnel_settings: Settings, pg: asyncpg.Connection
) -> None:
    schema = funnel_settings.funnel_schema
    await publish(funnel_settings, [page_view("L1", day(0)), page_view("L1", day(1))])
    await project(funnel_settings)
    await publish(funnel_settings, [page_view("L1", day(2))])

    await project(funnel_settings)

    count = await pg.fetchval(f"SELECT count(*) FROM {schema}.lead_events")
    positions = await pg.fetchval(
        "SELECT sum(next_offset) FROM projection_positions WHERE projector = $1", schema
    )
    assert (count, positions) == (3, 3)


async def test_lag_rows_written_and_batch_latency_are_exported(funnel_settings: Settings) -> None:
    schema = funnel_settings.funnel_schema
    await publish(funnel_settings, [page_view("L1", day(0)), page_view("L2", day(1))])

    await project(funnel_settings)

    topic = LEAD_EVENTS.name(funnel_settings.topic_prefix)
    lags = [
        REGISTRY.get_sample_value(
            "leadfunnel_projector_lag_messages",
            {"projector": schema, "topic": topic, "partition": str(partition)},
        )
        for partition in range(funnel_settings.topic_partitions)
    ]
    rows = REGISTRY.get_sample_value(
        "leadfunnel_projector_rows_written_total", {"projector": schema, "table": "lead_events"}
    )
    batches = REGISTRY.get_sample_value(
        "leadfunnel_projector_batch_seconds_count", {"projector": schema}
    )
    assert lags == [0.0] * funnel_settings.topic_partitions
    assert rows == 2 and batches is not None and batches >= 1

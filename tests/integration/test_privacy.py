"""Contact details end to end: sealed at ingest, opened for the roles allowed, then erased.

A lead form with distinctive raw values goes through the real ingest app, Kafka, the scoring
worker, the projector and PostgreSQL. A manager and the owning rep see the contact; an analyst
and another rep do not. After an admin erases the person, no Kafka topic and no table holds any
raw value, and every ciphertext left in the log names a data key that no longer exists.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from funnel.projector.rebuild import rebuild
from funnel.wiring import projector_config
from services.access import Role, add_token
from services.ingest.app import create_app as create_ingest
from services.settings import DEV_READ_TOKEN, DEV_WRITE_KEY, Settings
from services.vault.crypto import unseal
from services.vault.keys import KeyStore, MasterKeys
from tests.integration.funnel_fixtures import project, query_client
from tests.integration.log_capture import json_log_lines
from tests.integration.scoring_fixtures import WorkerProcess
from tests.support.helpers import free_port

SEALED = re.compile(rb'"key_id":"(k_[0-9a-f]{32})","ciphertext":"([A-Za-z0-9_-]+)"')


def person(tag: str) -> dict[str, str]:
    """Raw values no other test uses, so a scan for them means exactly this person."""
    return {
        "name": f"Quokka Zhang {tag}",
        "email": f"quokka.{tag}@erasure-test.example",
        "phone": "+86 139 " + tag[:4].translate(str.maketrans("abcdef", "123456")) + " 7731",
        "company": f"Quokkaworks {tag} Robotics",
        "job_title": f"Chief Hopping Officer {tag}",
        "city": f"Quokkaville-{tag}",
    }


def raw_values(who: dict[str, str]) -> list[bytes]:
    """Every spelling of the raw values a leak could take (phone digits, lower-case email)."""
    digits = re.sub(r"\D", "", who["phone"])
    values = [*who.values(), who["email"].lower(), digits, "+" + digits, digits[2:]]
    return [value.encode() for value in values]


def form(who: dict[str, str], event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "form_submitted",
        "channel": "website",
        "identities": {"email": who["email"], "phone": who["phone"]},
        "contact": {k: who[k] for k in ("name", "company", "job_title", "city")},
        "properties": {"form_id": "trial", "form_name": "Free trial"},
    }


def call_logged(who: dict[str, str], owner: str, event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "communication_logged",
        "channel": "crm",
        "identities": {"email": who["email"]},
        "properties": {"communication_id": event_id, "owner": owner, "need_identified": True},
    }


@pytest.fixture
async def settings(funnel_settings: Settings) -> Settings:
    return funnel_settings.model_copy(update={"scoring_web_port": free_port()})


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Any:
    process = WorkerProcess(settings, tmp_path / "worker.log")
    yield process
    process.kill()


@pytest.fixture
async def tokens(settings: Settings, unique: str) -> dict[str, dict[str, str]]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        made = {
            "analyst": await add_token(conn, f"analyst-{unique}", Role.ANALYST, None),
            "rep": await add_token(conn, f"rep-{unique}", Role.REP, f"owner-{unique}"),
            "other_rep": await add_token(conn, f"rep2-{unique}", Role.REP, f"nobody-{unique}"),
            "admin": await add_token(conn, f"admin-{unique}", Role.ADMIN, None),
        }
    finally:
        await conn.close()
    bearer = {name: {"Authorization": f"Bearer {token}"} for name, token in made.items()}
    return {**bearer, "manager": {"Authorization": f"Bearer {DEV_READ_TOKEN}"}}


async def post_events(settings: Settings, events: list[dict[str, Any]]) -> None:
    app = create_ingest(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", auth=(DEV_WRITE_KEY, "")
        ) as client:
            answer = await client.post("/v1/events/batch", json={"events": events})
    assert answer.status_code == 200, answer.text


async def project_until(settings: Settings, sql: str, *args: Any, timeout: float = 60) -> Any:
    """Project what the worker published until `sql` (on the read models) answers truthy."""
    conn = await asyncpg.connect(
        settings.database_url, server_settings={"search_path": settings.funnel_schema}
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            await project(settings)
            found = await conn.fetchval(sql, *args)
            if found or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def every_record(settings: Settings) -> list[tuple[str, bytes]]:
    """(topic, key + value + headers) of every record of every topic of this test.

    A null record (a tombstone) reads as (topic, b"tombstone:" + key).
    """
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        topics = [t for t in admin.list_topics() if t.startswith(settings.topic_prefix)]
    finally:
        admin.close()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    records: list[tuple[str, bytes]] = []
    try:
        partitions = [
            TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            for tp, messages in (await consumer.getmany(timeout_ms=500)).items():
                for m in messages:
                    headers = b"".join(k.encode() + v for k, v in m.headers or ())
                    value = b"tombstone:" if m.value is None else m.value
                    records.append((tp.topic, (m.key or b"") + value + headers))
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        assert not pending, f"could not read to the end of {sorted(map(str, pending))}"
    finally:
        await consumer.stop()
    return records


async def every_table_text(database_url: str) -> list[tuple[str, str]]:
    """(table, row as text) of every row of every table of every schema in the database."""
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT schemaname, tablename FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        rows: list[tuple[str, str]] = []
        for table in tables:
            name = f'"{table["schemaname"]}"."{table["tablename"]}"'
            for row in await conn.fetch(f"SELECT t::text AS line FROM {name} t"):
                rows.append((name, row["line"]))
        return rows
    finally:
        await conn.close()


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every log line of this process while the test runs, as the services write them."""
    with json_log_lines(None, logging.DEBUG) as stream:
        yield stream


@pytest.fixture
async def leads(
    settings: Settings, worker: WorkerProcess, unique: str
) -> AsyncIterator[dict[str, Any]]:
    """Two people through ingest, the worker and the projector; their lead ids."""
    worker.start()
    quokka, other = person(uuid.uuid4().hex[:8]), person(uuid.uuid4().hex[:8])
    await post_events(
        settings,
        [
            form(quokka, f"form-{unique}-1"),
            call_logged(quokka, f"owner-{unique}", f"call-{unique}-1"),
            form(other, f"form-{unique}-2"),
        ],
    )
    both = await project_until(
        settings,
        "SELECT count(DISTINCT lead_id) = 2 FROM lead_contacts WHERE event_id LIKE $1",
        f"form-{unique}-%",
    )
    assert both, worker.tail()
    owned = await project_until(
        settings, "SELECT lead_id FROM leads WHERE owner = $1", f"owner-{unique}"
    )
    assert owned, worker.tail()
    conn = await asyncpg.connect(
        settings.database_url, server_settings={"search_path": settings.funnel_schema}
    )
    other_lead = await conn.fetchval(
        "SELECT lead_id FROM lead_contacts WHERE event_id = $1", f"form-{unique}-2"
    )
    await conn.close()
    yield {"quokka": quokka, "other": other, "lead": owned, "other_lead": other_lead}


async def test_contact_is_sealed_in_kafka_and_opened_only_for_contact_roles(
    settings: Settings, leads: dict[str, Any], tokens: dict[str, dict[str, str]]
) -> None:
    quokka, lead = leads["quokka"], leads["lead"]
    for topic, data in await every_record(settings):
        for value in raw_values(quokka):
            assert value not in data, f"{value!r} in clear on {topic}"
    expected = {**quokka, "email": quokka["email"].lower()}
    expected["phone"] = "+" + re.sub(r"\D", "", quokka["phone"])
    async with query_client(settings) as api:
        as_manager = await api.get(f"/v1/leads/{lead}", headers=tokens["manager"])
        as_rep = await api.get(f"/v1/leads/{lead}", headers=tokens["rep"])
        as_analyst = await api.get(f"/v1/leads/{lead}", headers=tokens["analyst"])
        as_other_rep = await api.get(f"/v1/leads/{lead}", headers=tokens["other_rep"])
        by_company = await api.get(
            "/v1/leads", params={"q": "quokkaworks"}, headers=tokens["manager"]
        )
        analyst_search = await api.get(
            "/v1/leads", params={"q": "quokkaworks"}, headers=tokens["analyst"]
        )
        rep_search = await api.get("/v1/leads", params={"q": "quokkaworks"}, headers=tokens["rep"])
    assert as_manager.status_code == 200, as_manager.text
    assert as_manager.json()["contact"] == expected
    assert as_rep.status_code == 200 and as_rep.json()["contact"] == expected
    assert as_analyst.status_code == 200 and "contact" not in as_analyst.json()
    for value in raw_values(quokka):
        assert value not in as_analyst.content
    assert as_other_rep.status_code == 404 and quokka["name"].encode() not in as_other_rep.content
    # both people's companies start with "Quokkaworks": the prefix finds both, for a manager only
    found = {item["lead_id"] for item in by_company.json()["items"]}
    assert found == {lead, leads["other_lead"]}
    assert analyst_search.status_code == 200 and analyst_search.json()["items"] == []
    assert [item["lead_id"] for item in rep_search.json()["items"]] == [lead]  # its own only


async def test_erasing_a_person_leaves_no_raw_value_and_no_key_to_open_what_is_left(
    settings: Settings,
    leads: dict[str, Any],
    tokens: dict[str, dict[str, str]],
    worker: WorkerProcess,
    unique: str,
    logs: io.StringIO,
) -> None:
    quokka, lead = leads["quokka"], leads["lead"]
    bogus = {"Authorization": "Bearer rt_not-a-token"}
    conn = await asyncpg.connect(settings.database_url)  # the stale-lead detector tracks it
    await conn.execute(
        f"INSERT INTO {settings.alerts_schema}.lead_activity (lead_id, owner) VALUES ($1, $2)",
        lead,
        f"owner-{unique}",
    )
    await conn.execute(  # and the last risk check scored a deal of it
        f"INSERT INTO {settings.alerts_schema}.risk_scores (source, opportunity_id, rank,"
        " lead_id, risk, shown_risk, item) VALUES ($1, $2, 0, $3, 0.5, 0.5, '{}')",
        settings.funnel_schema,
        f"opp-{unique}",
        lead,
    )
    await conn.close()
    async with query_client(settings) as api:
        nobody = await api.delete("/v1/people", params={"email": quokka["email"]})
        made_up = await api.delete("/v1/people", params={"email": quokka["email"]}, headers=bogus)
        rep_token = await api.delete(f"/v1/people/{lead}", headers=tokens["rep"])
        analyst = await api.delete(f"/v1/people/{lead}", headers=tokens["analyst"])
        manager = await api.delete(
            "/v1/people", params={"email": quokka["email"]}, headers=tokens["manager"]
        )
        erased = await api.delete(
            "/v1/people", params={"email": quokka["email"]}, headers=tokens["admin"]
        )
    assert nobody.status_code == 401 and made_up.status_code == 403
    assert analyst.status_code == 403 and manager.status_code == 403
    assert rep_token.status_code == 403
    for answer in (nobody, made_up, rep_token, analyst, manager, erased):
        assert quokka["email"].encode() not in answer.content
    assert erased.status_code == 200, erased.text
    # the lead and any lead merged into it (the call, email only, may have started its own)
    assert lead in erased.json()["lead_ids"] and erased.json()["keys_deleted"] >= 1

    conn = await asyncpg.connect(settings.database_url)
    tracked = await conn.fetchval(
        f"SELECT count(*) FROM {settings.alerts_schema}.lead_activity WHERE lead_id = $1", lead
    )
    scored = await conn.fetchval(
        f"SELECT count(*) FROM {settings.alerts_schema}.risk_scores WHERE lead_id = $1", lead
    )
    await conn.close()
    assert tracked == 0 and scored == 0
    gone = await project_until(
        settings, "SELECT NOT EXISTS (SELECT 1 FROM leads WHERE lead_id = $1)", lead
    )
    assert gone
    deadline = time.monotonic() + 30
    while worker.score(lead).status_code != 404 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    assert worker.score(lead).status_code == 404, worker.tail()  # the scoring table forgot it

    async with query_client(settings) as api:
        assert (await api.get(f"/v1/leads/{lead}", headers=tokens["manager"])).status_code == 404
        other = await api.get(f"/v1/leads/{leads['other_lead']}", headers=tokens["manager"])
    assert other.json()["contact"]["name"] == leads["other"]["name"]  # the other person stays

    records = await every_record(settings)
    scanned = {topic.removeprefix(settings.topic_prefix) for topic, _ in records}
    scores = f"{settings.topic_prefix}leads.scores"
    assert (scores, lead.encode() + b"tombstone:") in records  # compaction drops its score
    assert {"events.raw", "events.resolved", "people.erasures", "scoring.lead-inputs"} <= scanned
    assert "scoring-leads-changelog" in scanned
    for topic, data in records:
        for value in raw_values(quokka):
            assert value not in data, f"{value!r} in clear on {topic}"
    for table, line in await every_table_text(settings.database_url):
        for value in raw_values(quokka):
            assert value.decode() not in line, f"{value!r} in {table}"
    assert quokka["name"] not in worker.tail(10**7)
    assert "person erased" in logs.getvalue()  # the erasure is logged, by id only
    for value in raw_values(quokka):
        assert value.decode() not in logs.getvalue(), f"{value!r} in the logs"

    # what remains sealed in the log names erased keys: it can never be opened again
    sealed = {
        m.group(1).decode(): m.group(2).decode() for _, d in records for m in SEALED.finditer(d)
    }
    masters = MasterKeys.from_settings(settings.pii_master_key)
    conn = await asyncpg.connect(settings.database_url)
    try:
        left = await KeyStore(masters).by_ids(conn, sealed)
        audit = await conn.fetchrow(
            "SELECT requested_by, matched_by, lead_ids FROM public.erasures WHERE erasure_id = $1",
            erased.json()["erasure_id"],
        )
    finally:
        await conn.close()
    assert set(left) < set(sealed)  # the erased person's key is gone, the other one's stays
    for key_id, ciphertext in sealed.items():
        if key_id not in left:
            continue
        opened = unseal(left[key_id], key_id, ciphertext)
        assert all(value not in opened for value in raw_values(quokka))
    assert dict(audit) == {
        "requested_by": f"admin-{unique}",
        "matched_by": "email",
        "lead_ids": erased.json()["lead_ids"],
    }


async def test_a_rebuild_from_the_whole_log_does_not_bring_an_erased_person_back(
    settings: Settings, leads: dict[str, Any], tokens: dict[str, dict[str, str]]
) -> None:
    async with query_client(settings) as api:
        erased = await api.delete(f"/v1/people/{leads['lead']}", headers=tokens["admin"])
    assert erased.status_code == 200, erased.text
    await project(settings)

    await rebuild(projector_config(settings), stream=io.StringIO())

    conn = await asyncpg.connect(
        settings.database_url, server_settings={"search_path": settings.funnel_schema}
    )
    try:
        erased_ids = erased.json()["lead_ids"]
        for table in ("leads", "lead_events", "lead_identities", "lead_contacts"):
            left = await conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE lead_id = ANY($1::text[])", erased_ids
            )
            assert left == 0, table
        kept = await conn.fetchval(
            "SELECT count(*) FROM leads WHERE lead_id = $1", leads["other_lead"]
        )
    finally:
        await conn.close()
    assert kept == 1  # the rebuild projected everything else

"""Rate limits in PostgreSQL hold across ingest replicas: two app instances share one limit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx

from services.ingest.app import create_app
from services.settings import Settings, WriteKey, sha256_hex
from tests.support.ingest import free_port, own_topics

HOUR = 3600.0  # one window for the whole test: no window boundary falls between its requests


def page_views(count: int) -> dict[str, Any]:
    return {
        "events": [
            {
                "type": "page_viewed",
                "channel": "website",
                "identities": {"anonymous_id": f"anon-{uuid.uuid4().hex[:12]}"},
                "properties": {"url": "https://example.cn/pricing"},
            }
            for _ in range(count)
        ]
    }


def shared_settings(kafka_bootstrap: str, database_url: str, key: WriteKey) -> Settings:
    return own_topics(kafka_bootstrap).model_copy(
        update={
            "write_keys": [key],
            "database_url": database_url,
            "ingest_rate_store": "postgres",
            "ingest_rate_burst_seconds": HOUR,
        }
    )


@asynccontextmanager
async def replicas(settings: Settings, count: int = 2) -> AsyncIterator[list[Any]]:
    """`count` ingest apps built from the same settings, each started (as replicas are)."""
    async with AsyncExitStack() as stack:
        apps = [create_app(settings) for _ in range(count)]
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield apps


async def post(app: Any, address: str, secret: str, count: int) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # started by `replicas`
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        return await client.post("/v1/events/batch", json=page_views(count), auth=(secret, ""))


async def test_two_ingest_replicas_share_a_write_keys_rate(
    kafka_bootstrap: str, database_url: str
) -> None:
    secret = f"wk_test_{uuid.uuid4().hex[:8]}"  # 0.01 events/s: 36 in the hour window
    key = WriteKey(name=f"shared-{secret[-8:]}", sha256=sha256_hex(secret), rate_per_second=0.01)
    settings = shared_settings(kafka_bootstrap, database_url, key)
    async with replicas(settings) as (one, two):
        first = await post(one, "192.0.2.1", secret, 20)
        refused = await post(two, "192.0.2.2", secret, 20)  # alone it would fit its own bucket
        rest = await post(two, "192.0.2.2", secret, 16)

    assert first.status_code == 200, first.text
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1
    assert rest.status_code == 200, rest.text  # 20 + 16 = the 36 the window holds

    process = settings.model_copy(update={"ingest_rate_store": "process"})
    async with replicas(process) as (one, two):  # per process: each replica admits the rate
        assert (await post(one, "192.0.2.1", secret, 20)).status_code == 200
        assert (await post(two, "192.0.2.2", secret, 20)).status_code == 200


async def test_one_client_address_is_limited_across_replicas_and_others_still_post(
    kafka_bootstrap: str, database_url: str
) -> None:
    secret = f"wk_test_{uuid.uuid4().hex[:8]}"  # 18 events an hour per address, 3600 in all
    key = WriteKey(
        name=f"website-{secret[-8:]}",
        sha256=sha256_hex(secret),
        rate_per_second=1.0,
        rate_per_address_per_second=0.005,
    )
    async with replicas(shared_settings(kafka_bootstrap, database_url, key)) as (one, two):
        drained = await post(one, "203.0.113.7", secret, 18)
        again = await post(two, "203.0.113.7", secret, 1)
        other = await post(two, "198.51.100.2", secret, 18)

    assert drained.status_code == 200, drained.text
    assert again.status_code == 429 and "client address" in again.json()["message"], again.text
    assert "203.0.113.7" not in again.text  # the address is not echoed
    assert other.status_code == 200, other.text


async def test_ingest_falls_back_to_its_own_buckets_while_the_rate_store_is_down(
    kafka_bootstrap: str,
) -> None:
    secret = f"wk_test_{uuid.uuid4().hex[:8]}"
    key = WriteKey(name=f"down-{secret[-8:]}", sha256=sha256_hex(secret), rate_per_second=0.01)
    nowhere = f"postgresql://leadfunnel:x@127.0.0.1:{free_port()}/leadfunnel"
    settings = shared_settings(kafka_bootstrap, nowhere, key)
    async with replicas(settings, count=1) as (one,):
        admitted = await post(one, "192.0.2.1", secret, 36)
        refused = await post(one, "192.0.2.1", secret, 1)

    assert admitted.status_code == 200, admitted.text  # PostgreSQL down: events still flow
    assert refused.status_code == 429, refused.text  # and the process's own limit holds

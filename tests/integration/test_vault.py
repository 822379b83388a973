"""The vault on a real PostgreSQL: one key per subject, master key rotation, ingest's 503."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import asyncpg
import httpx
import orjson

from services import ops
from services.ingest.app import create_app
from services.settings import DEV_PII_MASTER_KEY, DEV_WRITE_KEY, Settings
from services.vault.crypto import new_data_key
from services.vault.keys import KeyStore, MasterKeys, rewrap_all
from tests.integration.log_capture import json_log_lines
from tests.support.helpers import free_port
from tests.support.ingest import RawTopic

NAME, EMAIL = "Wombat Li 93f1", "wombat.93f1@vault-test.example"


async def test_concurrent_first_uses_of_a_subject_agree_on_one_key(
    isolated_settings: Settings, pg: asyncpg.Connection, unique: str
) -> None:
    masters = MasterKeys.from_settings(DEV_PII_MASTER_KEY)
    subject = f"subject-{unique}"
    other = await asyncpg.connect(isolated_settings.database_url)
    try:
        a, b = await asyncio.gather(
            KeyStore(masters, 0).keys_for(pg, [subject]),
            KeyStore(masters, 0).keys_for(other, [subject]),
        )
    finally:
        await other.close()
    assert a == b  # two ingest replicas seal one person's events under one key
    row = await pg.fetchrow("SELECT wrapped_key FROM public.pii_keys WHERE subject = $1", subject)
    assert a[subject][1] not in bytes(row["wrapped_key"])  # stored wrapped, never in clear


async def test_rewrap_moves_every_key_under_the_new_master_key(
    isolated_settings: Settings, pg: asyncpg.Connection, unique: str
) -> None:
    old = base64.b64encode(new_data_key()).decode()
    new = base64.b64encode(new_data_key()).decode()
    key_id, dek = (await KeyStore(MasterKeys.from_settings(old), 0).keys_for(pg, [f"r-{unique}"]))[
        f"r-{unique}"
    ]
    missing_old = isolated_settings.model_copy(update={"pii_master_key": new})
    assert await ops._vault(missing_old, "rewrap") == 2  # refused: old keys would not open

    rotated = MasterKeys.from_settings(new, [old, DEV_PII_MASTER_KEY])  # the session's keys too
    transaction = pg.transaction()  # rolled back: the other tests' keys stay as they were
    await transaction.start()
    try:
        assert await rewrap_all(pg, rotated) >= 1
        only_new = KeyStore(MasterKeys.from_settings(new), 0)
        assert await only_new.by_ids(pg, [key_id]) == {key_id: dek}
        assert await KeyStore(MasterKeys.from_settings(old), 0).by_ids(pg, [key_id]) == {}
        left = await pg.fetchval(
            "SELECT count(*) FROM public.pii_keys WHERE master_key_id <> $1", rotated.current_id
        )
        assert left == 0
    finally:
        await transaction.rollback()


async def test_ingest_refuses_contact_details_with_503_while_postgres_is_down(
    isolated_settings: Settings,
) -> None:
    down = isolated_settings.model_copy(
        update={"database_url": f"postgresql://leadfunnel:x@127.0.0.1:{free_port()}/leadfunnel"}
    )
    form: dict[str, Any] = {
        "type": "form_submitted",
        "channel": "website",
        "identities": {"email": EMAIL},
        "contact": {"name": NAME},
        "properties": {"form_id": "trial"},
    }
    page = {
        "type": "page_viewed",
        "channel": "website",
        "identities": {"anonymous_id": f"anon-{free_port()}"},
        "properties": {"url": "https://x.cn/pricing"},
    }
    app = create_app(down)
    with json_log_lines(None) as lines:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://ingest", auth=(DEV_WRITE_KEY, "")
            ) as client:
                refused = await client.post("/v1/events", json=form)
                accepted = await client.post("/v1/events", json=page)

    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "vault_unavailable" and refused.headers["retry-after"]
    assert accepted.status_code == 200, accepted.text  # events without contact keep flowing
    records = await asyncio.to_thread(RawTopic(down).read, 1)
    assert [orjson.loads(r.value)["type"] for r in records] == ["page_viewed"]
    for text in (refused.text, lines.getvalue(), *(r.value.decode() for r in records)):
        assert NAME not in text and EMAIL not in text

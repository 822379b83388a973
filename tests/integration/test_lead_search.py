"""`GET /v1/leads?q=` finds leads by email, phone, CRM id, WeChat openid or lead id."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.pii import PiiHasher
from services.settings import DEV_READ_TOKEN, Settings
from tests.integration.funnel_fixtures import project_all, query_client, scenario
from tests.support.funnel_factories import day, page_view

READ = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}


@pytest.fixture
async def api(funnel_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    hasher = PiiHasher(funnel_settings.pii_hmac_secret, funnel_settings.default_phone_region)
    person = {
        "email_hash": hasher.email_hash("li.wang@example.cn") or "",
        "phone_hash": hasher.phone_hash("+86 138 0013 8000") or "",
        "crm_lead_id": "CRM-77",
    }
    extra = page_view("L5", day(2), identities=person)
    await project_all(funnel_settings, [*scenario(funnel_settings), extra])
    async with query_client(funnel_settings) as client:
        yield client


async def found(api: httpx.AsyncClient, q: str, **filters: str) -> list[str]:
    answer = await api.get("/v1/leads", params={"q": q, **filters}, headers=READ)
    assert answer.status_code == 200, answer.text
    return [lead["lead_id"] for lead in answer.json()["items"]]


async def test_a_lead_is_found_by_each_of_its_identities_and_nothing_else(
    api: httpx.AsyncClient,
) -> None:
    assert await found(api, "Li.Wang@Example.CN") == ["L5"]
    assert await found(api, "138 0013 8000") == ["L5"]
    assert await found(api, "CRM-77") == ["L5"]
    assert await found(api, "wx-2") == ["L1"]  # the openid of L2, merged into L1
    assert await found(api, "L3") == ["L3"]
    assert await found(api, "nobody@example.cn") == []
    assert await found(api, "CRM-77", tier="sql") == []  # the other filters still apply

"""Read tokens with roles, added by the CLI and stored as digests: what each role may read."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.query import auth
from services.settings import DEV_READ_TOKEN, Settings
from tests.integration.funnel_fixtures import project_all, query_client, scenario

ROOT = Path(__file__).resolve().parents[2]
MANAGER = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}


def ops(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m services.ops ARGS` against the test database, as an operator runs it."""
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "services.ops", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def added(settings: Settings, name: str, *args: str) -> str:
    done = ops(settings, "tokens", "add", name, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().rsplit(" ", 1)[-1]


@pytest.fixture
async def api(funnel_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    await project_all(funnel_settings, scenario(funnel_settings))
    async with query_client(funnel_settings) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def lead_ids(api: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    answer = await api.get("/v1/leads", headers=headers)
    assert answer.status_code == 200, answer.text
    return sorted(lead["lead_id"] for lead in answer.json()["items"])


async def test_a_rep_reads_only_the_leads_it_owns_and_a_manager_reads_all(
    api: httpx.AsyncClient, funnel_settings: Settings, unique: str
) -> None:
    rep = added(funnel_settings, f"wang-{unique}", "--role", "rep", "--owner", "wang")

    assert await lead_ids(api, MANAGER) == ["L1", "L3", "L4"]
    assert await lead_ids(api, bearer(rep)) == ["L1"]
    assert (await api.get("/v1/leads/L1", headers=bearer(rep))).status_code == 200
    assert (await api.get("/v1/leads/L3", headers=bearer(rep))).status_code == 404
    assert (await api.get("/v1/leads/L3/score", headers=bearer(rep))).status_code == 404
    other = await api.get("/v1/leads", params={"owner": "zhao"}, headers=bearer(rep))
    assert other.status_code == 403 and rep not in other.text
    feed = await api.get("/v1/dashboard/promotions", headers=bearer(rep))
    assert {item["lead_id"] for item in feed.json()["items"]} == {"L1"}
    csv = await api.get("/v1/leads", headers={**bearer(rep), "Accept": "text/csv"})
    assert "L1" in csv.text and "L3" not in csv.text


async def test_an_analyst_reads_the_funnel_and_unknown_or_revoked_tokens_are_refused(
    api: httpx.AsyncClient,
    funnel_settings: Settings,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.0)  # a revocation shows at once
    name = f"analyst-{unique}"
    analyst = added(funnel_settings, name, "--role", "analyst")

    assert (await api.get("/v1/funnel/stages", headers=bearer(analyst))).status_code == 200
    assert await lead_ids(api, bearer(analyst)) == ["L1", "L3", "L4"]
    assert ops(funnel_settings, "tokens", "revoke", name).returncode == 0
    revoked = await api.get("/v1/funnel/stages", headers=bearer(analyst))
    made_up = await api.get("/v1/funnel/stages", headers=bearer("rt_made_up"))
    missing = await api.get("/v1/funnel/stages")

    assert (revoked.status_code, made_up.status_code, missing.status_code) == (403, 403, 401)
    assert analyst not in revoked.text and "rt_made_up" not in made_up.text


async def test_tokens_are_stored_as_digests_and_listed_without_them(
    funnel_settings: Settings, unique: str
) -> None:
    name = f"lister-{unique}"
    token = added(funnel_settings, name, "--role", "manager")
    listing = ops(funnel_settings, "tokens", "list")
    refused = ops(funnel_settings, "tokens", "add", f"nobody-{unique}", "--role", "rep")
    twice = ops(funnel_settings, "tokens", "add", name, "--role", "manager")

    assert listing.returncode == 0 and name in listing.stdout and token not in listing.stdout
    assert refused.returncode == 2 and "--owner" in refused.stderr
    assert twice.returncode == 2 and "exists" in twice.stderr
    conn = await asyncpg.connect(funnel_settings.database_url)
    try:
        row = await conn.fetchrow("SELECT * FROM public.access_tokens WHERE name = $1", name)
    finally:
        await conn.close()
    assert row is not None and token not in {str(value) for value in row.values()}

"""The query service serves the monthly health check behind the read token."""

from __future__ import annotations

import httpx

from services.query.app import create_app
from services.settings import DEV_READ_TOKEN, Settings


async def test_health_check_needs_a_read_token_and_answers_with_one(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            anonymous = await client.get("/v1/health-check", params={"month": "2026-03"})
            allowed = await client.get(
                "/v1/health-check",
                params={"month": "2026-03"},
                headers={"Authorization": f"Bearer {DEV_READ_TOKEN}"},
            )
    assert anonymous.status_code == 401
    assert allowed.status_code == 200
    assert allowed.json()["month"] == "2026-03"

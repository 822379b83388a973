"""The dashboard's pages and assets as the query service serves them (no data behind them)."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.dashboard.client_config import client_config
from services.dashboard.pages import pages_router
from services.settings import Settings


def app(**overrides: object) -> TestClient:
    server = FastAPI()
    server.include_router(pages_router(Settings(_env_file=None, **overrides)))  # type: ignore[call-arg]
    return TestClient(server)


def embedded_config(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="dashboard-config">(.*?)</script>', html)
    assert found
    return dict(json.loads(found.group(1)))


def test_every_page_is_the_shell_with_its_settings_and_a_strict_policy() -> None:
    client = app(dashboard_language="en", dashboard_conversion_bar=0.6)

    for path in (
        "/dashboard/funnel",
        "/dashboard/health",
        "/dashboard/leads",
        "/dashboard/leads/lead_1",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "default-src 'self'" in answer.headers["content-security-policy"]
    config = embedded_config(client.get("/dashboard/funnel").text)
    assert config["language"] == "en" and config["conversion_bar"] == 0.6
    assert config["base"] == "/dashboard"
    assert {"key": "quote_negotiation", "en": "Quote & negotiation", "zh": "报价谈判"} in config[
        "stages"
    ]  # type: ignore[operator]


def test_the_front_page_is_the_funnel() -> None:
    answer = app().get("/dashboard", follow_redirects=False)

    assert answer.status_code == 307 and answer.headers["location"] == "/dashboard/funnel"


def test_assets_are_served_by_name_only_and_revalidated_by_etag() -> None:
    client = app()
    script = client.get("/dashboard/static/app.js")

    assert script.headers["content-type"].startswith("text/javascript")
    assert (
        client.get(
            "/dashboard/static/app.js", headers={"If-None-Match": script.headers["etag"]}
        ).status_code
        == 304
    )
    assert client.get("/dashboard/static/..%2Fpages.py").status_code == 404
    assert client.get("/dashboard/static/nothing.js").status_code == 404


def test_every_module_the_pages_import_is_served() -> None:
    client = app()
    pending, seen = ["app.js"], set()
    while pending:
        name = pending.pop()
        seen.add(name)
        text = client.get(f"/dashboard/static/{name}").text
        assert text, name
        pending += [m for m in re.findall(r'from "\./([a-z]+\.js)"', text) if m not in seen]
    assert {"funnel.js", "health.js", "leads.js", "lead.js", "charts.js"} <= seen


def test_the_dashboard_lists_the_configured_stages() -> None:
    custom = ["first_contact", "discovery", "demo", "won", "lost"]
    config = client_config(Settings(sales_stages=custom))

    assert config["open_stages"] == ["first_contact", "discovery", "demo"]
    assert [stage["key"] for stage in config["stages"]] == custom

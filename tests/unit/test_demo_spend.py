"""The demo's spend: each month of its history per budget line, valid for /v1/spend, posted once."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson

from demo.plan import DemoConfig
from demo.spend import MONTHLY_BUDGET, post_spend, spend_rows
from services.ingest.spend import spend_records

NOW = datetime(2026, 6, 16, tzinfo=UTC)  # half of June gone
CONFIG = DemoConfig(leads=10, seed=7, days=120)  # history from 16 February


def test_every_month_of_the_history_has_every_budget_line_and_ingest_takes_them() -> None:
    rows = spend_rows(CONFIG, NOW)

    months = sorted({row["month"] for row in rows})
    assert months == ["2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert len(rows) == len(months) * len(MONTHLY_BUDGET)
    records = spend_records(rows, "", "CNY", NOW, "demo")
    assert isinstance(records, list) and len(records) == len(rows)
    assert spend_rows(CONFIG, NOW) == rows  # same seed, same spend


def test_budgets_vary_within_15_percent_and_the_current_month_counts_so_far() -> None:
    rows = spend_rows(CONFIG, NOW)
    baidu = {r["month"]: r["amount"] for r in rows if r.get("campaign") == "baidu-search"}
    budget = MONTHLY_BUDGET[("ads", "baidu-search")]

    assert all(0.85 * budget <= baidu[m] <= 1.15 * budget for m in ("2026-03", "2026-05"))
    assert 0.85 * budget / 2 <= baidu["2026-06"] <= 1.15 * budget / 2
    assert {r["channel"] for r in rows if "campaign" not in r} == {"wechat"}


def test_spend_is_posted_in_one_request_to_the_spend_api() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "accepted": 3})

    rows = spend_rows(CONFIG, NOW)
    with httpx.Client(transport=httpx.MockTransport(handle)) as client:
        tally = post_spend(client, "http://ingest", rows)
    refused = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(400, json={})))

    assert [request.url.path for request in seen] == ["/v1/spend"]
    assert orjson.loads(seen[0].content) == rows and tally.accepted == len(rows)
    assert post_spend(refused, "http://ingest", rows).rejected[0].startswith("spend: 400")

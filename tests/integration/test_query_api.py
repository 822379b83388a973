"""The query API over projected read models: auth, funnel tables, CSV, lead list and detail."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator

import httpx
import pytest

from funnel.projector.rebuild import rebuild
from funnel.wiring import projector_config
from services.settings import DEV_READ_TOKEN, Settings
from tests.integration.funnel_fixtures import project_all, query_client, scenario

READ = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}


@pytest.fixture
async def api(funnel_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The query app (lifespan running) over the projected scenario."""
    await project_all(funnel_settings, scenario(funnel_settings))
    async with query_client(funnel_settings) as client:
        yield client


async def test_reading_needs_a_read_token(api: httpx.AsyncClient) -> None:
    missing = await api.get("/v1/funnel/stages")
    wrong = await api.get("/v1/leads", headers={"Authorization": "Bearer wk_dev_leadfunnel"})
    right = await api.get("/v1/leads", headers=READ)

    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 403
    assert right.status_code == 200


async def test_stage_table_counts_stays_days_conversion_and_lost_reasons(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.get("/v1/funnel/stages", headers=READ)

    rows = {row["stage"]: row for row in answer.json()["rows"]}
    first = rows["first_contact"]
    assert (first["entered"], first["exited"], first["advanced"], first["lost"]) == (2, 2, 1, 1)
    assert first["conversion_rate"] == 0.5
    assert first["avg_days"] == pytest.approx(3.5)  # O1: 2 days, O3: 5 days
    assert first["top_lost_reasons"] == [{"reason": "price", "count": 1}]
    assert (rows["demo"]["won"], rows["demo"]["label_zh"]) == (1, "方案演示")


async def test_stage_table_filters_by_period_and_channel(api: httpx.AsyncClient) -> None:
    from_march_6 = await api.get(
        "/v1/funnel/stages", params={"from": "2026-03-06", "to": "2026-04-01"}, headers=READ
    )
    ads = await api.get("/v1/funnel/stages", params={"channel": "ads"}, headers=READ)

    entered = {row["stage"]: row["entered"] for row in from_march_6.json()["rows"]}
    assert entered["first_contact"] == 1 and entered["needs_confirmed"] == 1
    assert {row["stage"]: row["entered"] for row in ads.json()["rows"]}["first_contact"] == 1


async def test_tier_funnel_groups_leads_by_first_touch_channel(api: httpx.AsyncClient) -> None:
    answer = await api.get("/v1/funnel/tiers", params={"group_by": "channel"}, headers=READ)

    rows = {row["group"]: row for row in answer.json()["rows"]}
    assert sorted(rows) == ["ads", "email", "wechat"]  # L1's first touch is merged L2's WeChat
    wechat, ads = rows["wechat"], rows["ads"]
    assert [wechat[s] for s in ("lead", "mql", "sql", "opportunity", "won")] == [1, 1, 1, 1, 1]
    assert (ads["lead"], ads["mql"], ads["sql"], ads["mql_to_sql"]) == (1, 1, 0, 0.0)
    assert answer.json()["query"]["group_by"] == "channel"


async def test_funnel_tables_export_as_csv(api: httpx.AsyncClient) -> None:
    answer = await api.get(
        "/v1/funnel/tiers", params={"group_by": "month"}, headers={**READ, "Accept": "text/csv"}
    )

    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel on zh-CN Windows needs
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(row["group"], row["lead"], row["won"]) for row in rows] == [("2026-03", "3", "1")]


async def test_the_sales_cycle_exports_as_csv_with_the_json_rows_fields(
    api: httpx.AsyncClient,
) -> None:
    as_json = (await api.get("/v1/funnel/cycle", headers=READ)).json()["rows"]
    answer = await api.get("/v1/funnel/cycle", headers={**READ, "Accept": "text/csv"})

    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert as_json and list(rows[0]) == list(as_json[0])  # the core row's fields, in order
    assert [(row["month"], row["deals"]) for row in rows] == [
        (row["month"], str(row["deals"])) for row in as_json
    ]


async def test_the_lead_list_exports_every_page_as_csv_with_the_same_filters(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.query import leads_api

    monkeypatch.setattr(leads_api, "CSV_PAGE", 1)  # one lead a page: the export spans pages
    everyone = (await api.get("/v1/leads", params={"limit": 500}, headers=READ)).json()["items"]

    answer = await api.get("/v1/leads", params={"limit": 1}, headers={**READ, "Accept": "text/csv"})
    sql = await api.get("/v1/leads", params={"tier": "sql"}, headers={**READ, "Accept": "text/csv"})

    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [row["lead_id"] for row in rows] == [lead["lead_id"] for lead in everyone]
    assert len(rows) == 3 and rows[0]["first_channel"] == everyone[0]["first_channel"]
    filtered = list(csv.DictReader(io.StringIO(sql.content.decode("utf-8-sig"))))
    assert [row["lead_id"] for row in filtered] == ["L1"]


async def test_sales_cycle_counts_days_from_first_contact_to_won(api: httpx.AsyncClient) -> None:
    answer = await api.get("/v1/funnel/cycle", headers=READ)

    assert answer.json()["rows"] == [
        {"month": "2026-03", "deals": 1, "avg_days": 9.0, "median_days": 9.0}
    ]


async def test_lead_list_filters_and_pages_by_cursor(api: httpx.AsyncClient) -> None:
    sql = await api.get("/v1/leads", params={"tier": "sql"}, headers=READ)
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/leads", params=params, headers=READ)).json()
        seen += [item["lead_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    stale = await api.get(
        "/v1/leads", params={"stale": "true", "as_of": "2026-03-20T00:00:00Z"}, headers=READ
    )

    assert [item["lead_id"] for item in sql.json()["items"]] == ["L1"]
    assert seen[0] == "L1" and sorted(seen) == ["L1", "L3", "L4"]
    assert [item["lead_id"] for item in stale.json()["items"]] == ["L4"]  # L3 lost, L1 won


async def test_a_bad_cursor_is_a_422(api: httpx.AsyncClient) -> None:
    answer = await api.get("/v1/leads", params={"cursor": "nonsense"}, headers=READ)

    assert answer.status_code == 422


async def test_lead_detail_shows_profile_score_breakdown_history_and_timeline(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.get("/v1/leads/L2", headers=READ)  # merged: answers with its survivor

    lead = answer.json()
    assert (lead["lead_id"], lead["requested_lead_id"], lead["merged_lead_ids"]) == (
        "L1",
        "L2",
        ["L2"],
    )
    assert lead["profile"]["first_channel"] == "wechat"
    assert lead["score"]["breakdown"][0] == {"rule": "demo", "points": 35.0}
    assert [t["to_tier"] for t in lead["tier_history"]] == ["mql", "sql"]
    assert [s["stage"] for s in lead["stage_history"]] == [
        "first_contact",
        "needs_confirmed",
        "demo",
    ]
    times = [event["occurred_at"] for event in lead["timeline"]]
    assert times == sorted(times, reverse=True) and len(times) == 8
    assert "wx_open:-/wx-2" in {i["identity"] for i in lead["identities"]}


async def test_lead_score_and_unknown_leads(api: httpx.AsyncClient) -> None:
    known = await api.get("/v1/leads/L1/score", headers=READ)
    unknown = await api.get("/v1/leads/nobody", headers=READ)

    assert (known.json()["score"], known.json()["tier"]) == (80.0, "sql")
    assert unknown.status_code == 404


async def test_query_latency_is_measured_per_endpoint(api: httpx.AsyncClient) -> None:
    await api.get("/v1/leads/L1", headers=READ)

    metrics = (await api.get("/metrics")).text

    assert 'leadfunnel_query_seconds_count{endpoint="/v1/leads/{lead_id}"' in metrics


async def test_the_api_answers_the_same_during_and_after_a_rebuild_swap(
    api: httpx.AsyncClient, funnel_settings: Settings
) -> None:
    paths = ["/v1/leads/L1", "/v1/funnel/stages", "/v1/funnel/tiers", "/v1/leads?limit=2"]
    before = [(await api.get(path, headers=READ)).json() for path in paths]

    rebuilding = asyncio.ensure_future(
        rebuild(projector_config(funnel_settings), stream=io.StringIO())
    )
    during = []
    while not rebuilding.done():
        answer = await api.get("/v1/funnel/tiers", headers=READ)
        during.append((answer.status_code, answer.json()))
    await rebuilding

    after = [(await api.get(path, headers=READ)).json() for path in paths]
    assert after == before
    assert len(during) > 1 and set(map(repr, during)) == {repr((200, before[2]))}

"""The dashboard's filter options: the skip scan finds exactly the segments a GROUP BY counts."""

from __future__ import annotations

from services.settings import DEV_READ_TOKEN, Settings
from tests.integration.funnel_fixtures import project_all, query_client
from tests.support.funnel_factories import day, page_view

READ = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}


async def test_filter_options_list_every_first_touch_pair_once(funnel_settings: Settings) -> None:
    touches = [
        ("wechat", "spring"),
        ("wechat", None),
        ("ads", "spring"),
        ("ads", "autumn"),
        ("ads", "autumn"),
        ("website", None),
        ("website", None),
    ]
    messages = [
        page_view(f"L{n}", day(n), channel=channel, campaign=campaign)
        for n, (channel, campaign) in enumerate(touches)
    ]
    await project_all(funnel_settings, messages)
    async with query_client(funnel_settings) as api:
        fast = (await api.get("/v1/dashboard/filters", headers=READ)).json()
        counted = (await api.get("/v1/dashboard/filters?counts=true", headers=READ)).json()
    pairs = [(s["first_channel"], s["first_campaign"]) for s in fast["segments"]]
    assert pairs == [(s["first_channel"], s["first_campaign"]) for s in counted["segments"]]
    assert sorted(pairs, key=lambda p: (p[0], p[1] or "")) == pairs and len(pairs) == 5
    assert {s["leads"] for s in fast["segments"]} == {None}
    assert [s["leads"] for s in counted["segments"]] == [2, 1, 2, 1, 1]
    assert fast["channels"] == ["ads", "website", "wechat"]
    assert fast["first_seen"] == counted["first_seen"] is not None

"""A customised stage list (LEADFUNNEL_SALES_STAGES) flows from ingest to the stage table."""

from __future__ import annotations

from services.settings import DEV_READ_TOKEN, Settings
from tests.integration.funnel_fixtures import project_all, query_client
from tests.support.funnel_factories import day, stage_change

CUSTOM = ["first_contact", "discovery", "demo", "won", "lost"]


async def test_a_custom_stage_counts_as_advancing_in_the_projection_and_the_stage_table(
    funnel_settings: Settings,
) -> None:
    s = funnel_settings.model_copy(update={"sales_stages": CUSTOM})
    await project_all(
        s,
        [
            stage_change("L1", "O1", "first_contact", day(1), owner="li"),
            stage_change("L1", "O1", "discovery", day(3)),
            stage_change("L1", "O1", "demo", day(6)),
            stage_change("L1", "O1", "won", day(9)),
        ],
    )
    async with query_client(s) as client:
        answer = await client.get(
            "/v1/funnel/stages", headers={"Authorization": f"Bearer {DEV_READ_TOKEN}"}
        )

    rows = {row["stage"]: row for row in answer.json()["rows"]}
    assert list(rows) == ["first_contact", "discovery", "demo"]  # the configured order
    assert (rows["first_contact"]["advanced"], rows["discovery"]["advanced"]) == (1, 1)
    assert rows["discovery"]["avg_days"] == 3.0 and rows["demo"]["won"] == 1
    assert rows["discovery"].get("regressed", 0) == 0

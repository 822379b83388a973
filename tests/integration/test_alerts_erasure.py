"""The stale-lead detector does not track an erased lead again, nor alert about it."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from schemas.outgoing import Tier
from services.settings import Settings
from tests.integration.alerts_fixtures import (  # noqa: F401 (fixture)
    alerts_on_topic,
    alerts_settings,
    settled,
    start_alerts,
)
from tests.integration.funnel_fixtures import publish
from tests.support.funnel_factories import communication, day, page_view, promoted


async def test_an_erased_mql_gets_no_state_and_no_stale_alert(
    alerts_settings: Settings,  # noqa: F811
    unique: str,
) -> None:
    s = alerts_settings
    erased, kept = f"lead_erased_{unique}", f"lead_kept_{unique}"
    conn = await asyncpg.connect(s.database_url)
    try:
        await conn.execute(
            "INSERT INTO public.erased_leads (lead_id, erasure_id, erased_at)"
            " VALUES ($1, $2, now())",
            erased,
            f"era_{unique}",
        )
    finally:
        await conn.close()
    await publish(
        s,
        [
            promoted(erased, Tier.LEAD, Tier.MQL, day(0)),
            communication(erased, day(1), effective=True, owner="wang"),
            promoted(kept, Tier.LEAD, Tier.MQL, day(0)),
            communication(kept, day(1), effective=True, owner="wang"),
            page_view(f"lead_other_{unique}", day(8) + timedelta(seconds=1)),  # 7 days on
        ],
    )
    running = await start_alerts(s)
    try:
        await settled(s, running)
        async with running.detector.pool.acquire() as db:
            tracked = {row[0] for row in await db.fetch("SELECT lead_id FROM lead_activity")}
    finally:
        await running.close()
    assert erased not in tracked and kept in tracked
    subjects = {alert.subject for alert in await alerts_on_topic(s)}
    assert kept in subjects and erased not in subjects

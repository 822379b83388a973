"""Stale-lead alerting on real Kafka and PostgreSQL, driven by injected event time."""

from __future__ import annotations

from datetime import timedelta

from schemas.outgoing import Alert, AlertKind, Tier
from services.settings import Settings
from tests.integration.alerts_fixtures import (  # noqa: F401 (fixture)
    alerts_on_topic,
    alerts_settings,
    eventually,
    settled,
    start_alerts,
)
from tests.integration.funnel_fixtures import publish
from tests.support.funnel_factories import communication, day, page_view, promoted, stage_change


def ids(alerts: list[Alert]) -> list[str]:
    return sorted(alert.alert_id for alert in alerts)


async def test_an_mql_untouched_for_seven_days_of_event_time_raises_one_stale_alert(
    alerts_settings: Settings,  # noqa: F811
) -> None:
    s = alerts_settings
    await publish(
        s,
        [
            promoted("L1", Tier.LEAD, Tier.MQL, day(0)),
            communication("L1", day(1), effective=True, owner="wang"),
            page_view("L2", day(5)),  # another lead moves event time on: L1 not stale yet
        ],
    )
    running = await start_alerts(s)
    try:
        await settled(s, running)
        assert await alerts_on_topic(s) == []
        await publish(s, [page_view("L2", day(8) + timedelta(seconds=1))])  # 7 days + 1 s
        await eventually(lambda: _count(s, 1))
        (alert,) = await alerts_on_topic(s)
        assert alert.kind is AlertKind.LEAD_STALE and alert.subject == "L1"
        assert alert.owner == "wang" and alert.occurred_at == day(8)
        assert alert.alert_id == f"lead_stale:L1:{day(1).isoformat()}"
        await publish(s, [page_view("L1", day(9))])
        await eventually(lambda: _count(s, 2))
        assert ids(await alerts_on_topic(s)) == [
            f"lead_reactivated:L1:{day(1).isoformat()}",
            f"lead_stale:L1:{day(1).isoformat()}",
        ]
    finally:
        await running.close()


async def test_an_open_opportunity_is_followed_and_a_won_one_is_not(
    alerts_settings: Settings,  # noqa: F811
) -> None:
    s = alerts_settings
    crm_copy = stage_change("L4", "O4", "first_contact", day(0), owner="li", event_id="o4")
    await publish(
        s,
        [
            stage_change("L3", "O3", "first_contact", day(0), owner="zhao"),
            stage_change("L3", "O3", "won", day(2)),
            crm_copy,
            crm_copy.event,  # the CRM's own copy on the sales-stage topic
            page_view("L9", day(20)),
        ],
    )
    running = await start_alerts(s)
    try:
        await eventually(lambda: _count(s, 1))
        await settled(s, running)
        (alert,) = await alerts_on_topic(s)
        assert (alert.subject, alert.owner) == ("L4", "li")
        assert alert.details["has_open_opportunity"] is True
    finally:
        await running.close()


async def test_an_injected_clock_drives_the_sweep_without_new_events(
    alerts_settings: Settings,  # noqa: F811
) -> None:
    s = alerts_settings
    await publish(s, [promoted("L5", Tier.LEAD, Tier.SQL, day(0))])
    running = await start_alerts(s, clock=lambda seen: seen and seen + timedelta(days=30))
    try:
        await eventually(lambda: _count(s, 1))
        (alert,) = await alerts_on_topic(s)
        assert alert.alert_id == f"lead_stale:L5:{day(0).isoformat()}"
        found = await running.detector.sweep(now=day(60))
        assert found == []  # the same idle period is flagged once, however often it is swept
    finally:
        await running.close()


async def _count(settings: Settings, expected: int) -> bool:
    return len(await alerts_on_topic(settings)) >= expected

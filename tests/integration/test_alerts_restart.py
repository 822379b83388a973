"""Exactly one alert per stale period across a worker restart, a failed batch and a relay crash."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from alerts.wiring import alerts_config
from alerts.worker import outbox_store, state_store
from alerts.worker.relay import AlertRelay
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
from tests.support.funnel_factories import day, page_view, promoted

SECOND = timedelta(seconds=1)


async def _has(settings: Settings, alert_id: str) -> bool:
    return alert_id in {a.alert_id for a in await alerts_on_topic(settings)}


async def test_a_restarted_worker_raises_each_stale_period_exactly_once(
    alerts_settings: Settings,  # noqa: F811
) -> None:
    s = alerts_settings
    first_period = f"lead_stale:L1:{day(1).isoformat()}"
    await publish(
        s,
        [
            promoted("L1", Tier.LEAD, Tier.MQL, day(0)),
            page_view("L1", day(1)),
            page_view("L2", day(9)),  # L1 is stale from day 8 on
        ],
    )
    first = await start_alerts(s)
    await eventually(lambda: _has(s, first_period))
    await publish(s, [page_view("L2", day(10))])  # may or may not reach the first worker
    await first.close()  # stopped mid-way

    await publish(s, [page_view("L2", day(12)), page_view("L1", day(13))])
    second = await start_alerts(s)
    try:
        await eventually(lambda: _has(s, f"lead_reactivated:L1:{day(1).isoformat()}"))
        await publish(s, [page_view("L2", day(20) + SECOND)])  # L1 idle again since day 13
        await eventually(lambda: _has(s, f"lead_stale:L1:{day(13).isoformat()}"))
        await settled(s, second)
    finally:
        await second.close()
    counts = Counter(a.alert_id for a in await alerts_on_topic(s))
    assert counts == {
        first_period: 1,
        f"lead_reactivated:L1:{day(1).isoformat()}": 1,
        f"lead_stale:L1:{day(13).isoformat()}": 1,
    }


async def test_a_transaction_that_fails_before_commit_leaves_no_trace_and_is_redone(
    alerts_settings: Settings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = alerts_settings
    # the late interaction closes an idle period: the batch itself raises stale + reactivated
    await publish(s, [promoted("L1", Tier.LEAD, Tier.MQL, day(0)), page_view("L1", day(9))])
    real_enqueue = outbox_store.enqueue
    failures = []

    async def crash_after_writing(conn: object, alerts: list[Alert]) -> list[Alert]:
        fresh = await real_enqueue(conn, alerts)
        if alerts and not failures:  # the outbox row is written, then the batch dies
            failures.append(alerts)
            raise ConnectionResetError("simulated crash inside the batch transaction")
        return fresh

    monkeypatch.setattr(outbox_store, "enqueue", crash_after_writing)
    running = await start_alerts(s)
    try:
        await eventually(lambda: _has(s, f"lead_reactivated:L1:{day(0).isoformat()}"))
        await publish(s, [page_view("L2", day(17))])  # and a sweep raises the next period
        await eventually(lambda: _has(s, f"lead_stale:L1:{day(9).isoformat()}"))
        await settled(s, running)
    finally:
        await running.close()
    assert failures, "the simulated crash did not happen"
    kinds = Counter(a.kind for a in await alerts_on_topic(s))
    assert kinds == {AlertKind.LEAD_STALE: 2, AlertKind.LEAD_REACTIVATED: 1}


async def test_a_relay_that_died_between_publishing_and_recording_does_not_publish_again(
    alerts_settings: Settings,  # noqa: F811
) -> None:
    s = alerts_settings
    pool = await state_store.create_pool(s.database_url, s.alerts_schema)
    alert = Alert(
        alert_id="lead_stale:L7:x", kind=AlertKind.LEAD_STALE, subject="L7", message="stale",
        occurred_at=day(0),
    )  # fmt: skip
    try:
        async with pool.acquire() as conn:
            await outbox_store.enqueue(conn, [alert])
            rows = await outbox_store.pending(conn, 10)
        dying = AlertRelay(alerts_config(s), pool)
        await dying.start()
        await dying._send(rows)  # on the topic, never recorded: the process died here
        await dying.stop()
        successor = AlertRelay(alerts_config(s), pool)
        await successor.start()
        try:
            assert await successor.lead()  # takes over and reconciles with the topic
            assert await successor.publish_pending() == 0
        finally:
            await successor.stop()
    finally:
        await pool.close()
    assert [a.alert_id for a in await alerts_on_topic(s)] == ["lead_stale:L7:x"]

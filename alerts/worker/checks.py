"""The monthly health check and busy-not-advancing check: read models in, outbox rows out."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.model.busy import assess_owners, busy_alerts
from alerts.model.health import HealthReport, Status, health_alerts, health_check
from alerts.model.schedule import last_closed_month
from alerts.worker import outbox_store, telemetry
from alerts.worker.config import ChecksConfig
from forecast.store import deals_at_risk
from funnel.model.periods import month_period
from funnel.store import health_reads as readmodels
from performance.model.todos import Week, todo_alerts
from performance.store import todos as todo_store
from schemas.outgoing import Alert

log = logging.getLogger("alerts.worker.checks")
HEALTH_CHECK = "health_check"
BUSY_CHECK = "busy_check"
WEEKLY_TODOS = "weekly_todos"
Connection = outbox_store.Connection
_exported: set[str] = set()  # months whose report this process has put into the gauges


def _longest_sla(config: ChecksConfig) -> float:
    thresholds = config.health_thresholds
    return max([thresholds.default_stage_sla_days, *thresholds.stage_sla_days.values()])


async def health_report(
    conn: Connection, config: ChecksConfig, month: str, as_of: datetime | None = None
) -> HealthReport:
    """The health check of month `YYYY-MM` from the read models, judged at `as_of`."""
    tz = ZoneInfo(config.timezone)
    window = month_period(month, tz)
    judged_at = window.end if as_of is None else as_of
    schema = config.funnel_schema
    leads = await readmodels.tier_histories(conn, schema, window)
    first = config.order.first
    stays = await readmodels.stage_stays(
        conn, schema, window, judged_at, _longest_sla(config), first
    )
    return health_check(month, leads, stays, config.health_thresholds, judged_at, tz)


async def busy_check(conn: Connection, config: ChecksConfig, month: str) -> list[Alert]:
    """Owners busy but not advancing over month `YYYY-MM`, judged at its end."""
    window = month_period(month, ZoneInfo(config.timezone))
    schema = config.funnel_schema
    contacts = await readmodels.communications(conn, schema, window)
    order = config.order
    stays = await readmodels.stage_stays(
        conn, schema, window, window.end, _longest_sla(config), order.first
    )
    assessed = assess_owners(contacts, stays, window, window.end, config.busy, order)
    return busy_alerts(assessed, window, window.end)


async def weekly_check(conn: Connection, config: ChecksConfig, watermark: datetime) -> list[Alert]:
    """Once per week (by event time, after the grace): every rep's list as a `weekly_todos`."""
    tz = ZoneInfo(config.timezone)
    grace = timedelta(hours=config.grace_hours)
    week = Week.of((watermark - grace).astimezone(tz).date())
    if await outbox_store.checks_done(conn, WEEKLY_TODOS, [week.name]):
        return []
    async with conn.transaction():
        schema, start = config.funnel_schema, week.starts_at(tz)
        risks = await deals_at_risk(conn, schema, start, config.risk_alert_bar)
        lists = await todo_store.rep_todos(conn, schema, week, tz, config.stale_leads, None, risks)
        raised = await outbox_store.enqueue(conn, todo_alerts(week, lists, week.starts_at(tz)))
        await outbox_store.record_check(conn, WEEKLY_TODOS, week.name, len(raised))
    log.info("weekly to-dos %s: %d rep(s) with something to do", week.name, len(raised))
    return raised


def _export(report: HealthReport) -> None:
    _exported.add(report.month)
    for indicator in report.indicators:
        if indicator.value is not None:
            telemetry.CHECK_VALUE.labels(str(indicator.name)).set(indicator.value)
        telemetry.CHECK_ALARM.labels(str(indicator.name)).set(int(indicator.status is Status.RED))
    telemetry.CHECK_RUN_AT.set(time.time())


async def run_due_checks(
    conn: Connection, config: ChecksConfig, watermark: datetime
) -> list[Alert]:
    """Run each check once for the last month closed by event time; returns the new alerts."""
    tz = ZoneInfo(config.timezone)
    month = last_closed_month(watermark, timedelta(hours=config.grace_hours), tz)
    done = await outbox_store.checks_done(conn, HEALTH_CHECK, [month])
    done |= {f"busy:{m}" for m in await outbox_store.checks_done(conn, BUSY_CHECK, [month])}
    fresh: list[Alert] = []
    if month not in done:
        async with conn.transaction():
            report = await health_report(conn, config, month)
            raised = await outbox_store.enqueue(conn, health_alerts(report))
            await outbox_store.record_check(conn, HEALTH_CHECK, month, len(raised))
        _export(report)
        fresh += raised
        log.info("health check %s: %d indicator(s) in alarm", month, len(report.failed))
    elif month not in _exported:  # after a restart: show the last verdict again, raise nothing
        _export(await health_report(conn, config, month))
    if f"busy:{month}" not in done:
        async with conn.transaction():
            raised = await outbox_store.enqueue(conn, await busy_check(conn, config, month))
            await outbox_store.record_check(conn, BUSY_CHECK, month, len(raised))
        fresh += raised
        log.info("busy check %s: %d owner(s) busy but not advancing", month, len(raised))
    return fresh + await weekly_check(conn, config, watermark)

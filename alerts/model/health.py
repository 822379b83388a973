"""The source article's monthly sales health check: four indicators, graded, with alerts for red."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any, Literal

from alerts.model import measures
from alerts.model.health_config import HealthThresholds, Indicator, Rule
from funnel.model.maths import won_deals
from funnel.model.periods import Period, month_period
from funnel.model.rows import StageIntervalRow
from funnel.model.tiers import LeadTierHistory
from schemas.outgoing import Alert, AlertKind

__all__ = [
    "HealthIndicator",
    "HealthReport",
    "HealthThresholds",
    "Indicator",
    "Status",
    "grade",
    "health_alerts",
    "health_check",
]


class Status(StrEnum):
    """Grade of one indicator; `no_data` when there was nothing to measure."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NO_DATA = "no_data"


@dataclass(frozen=True, slots=True)
class HealthIndicator:
    """One graded line of the health check, as the article's 自检表 shows it."""

    name: Indicator
    label: str
    label_zh: str
    value: float | None
    unit: Literal["ratio", "days"]
    normal_range: str
    alarm_range: str
    status: Status
    action: str
    action_zh: str
    numerator: float
    denominator: int


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The health check of one calendar month, judged on the data known at `as_of`."""

    month: str
    period: Period
    as_of: datetime
    indicators: tuple[HealthIndicator, ...]

    @property
    def failed(self) -> tuple[HealthIndicator, ...]:
        """Indicators in the alarm range."""
        return tuple(i for i in self.indicators if i.status is Status.RED)


def grade(value: float | None, rule: Rule) -> Status:
    """Green inside the normal range, red inside the alarm range, amber between."""
    if value is None:
        return Status.NO_DATA
    sign = 1.0 if rule.higher_is_better else -1.0
    if sign * value >= sign * rule.normal:
        return Status.GREEN
    if sign * value < sign * rule.alarm:
        return Status.RED
    return Status.AMBER


def health_check(
    month: str,
    leads: Iterable[LeadTierHistory],
    stays: Iterable[StageIntervalRow],
    thresholds: HealthThresholds | None = None,
    as_of: datetime | None = None,
    tz: tzinfo = UTC,
) -> HealthReport:
    """Grade month `YYYY-MM` (in `tz`) from lead tier histories and stage intervals."""
    config = thresholds or HealthThresholds()
    window = month_period(month, tz)
    judged_at = window.end if as_of is None else as_of
    stays = list(stays)
    won = measures.won_in(won_deals(stays), window, judged_at)
    values = {
        Indicator.MQL_TO_SQL: measures.mql_to_sql(leads, window, judged_at),
        Indicator.SALES_CYCLE: measures.average_cycle(won),
        Indicator.UPDATES_ON_TIME: measures.updates_on_time(
            stays, window, judged_at, config.stage_sla_days, config.default_stage_sla_days
        ),
        Indicator.HIGH_VALUE_SHARE: measures.high_value_share(won, config.high_value_amount),
    }
    indicators = tuple(_indicator(config.rule(name), value) for name, value in values.items())
    return HealthReport(month, window, judged_at, indicators)


def _indicator(rule: Rule, measure: measures.Measure) -> HealthIndicator:
    return HealthIndicator(
        name=rule.name,
        label=rule.label,
        label_zh=rule.label_zh,
        value=measure.value,
        unit=rule.unit,
        normal_range=rule.normal_range,
        alarm_range=rule.alarm_range,
        status=grade(measure.value, rule),
        action=rule.action,
        action_zh=rule.action_zh,
        numerator=measure.numerator,
        denominator=measure.denominator,
    )


def health_alerts(report: HealthReport) -> list[Alert]:
    """One `health_check_failed` alert per red indicator; ids are stable per month and indicator."""
    occurred_at = min(report.as_of, report.period.end)
    return [
        Alert(
            alert_id=f"{AlertKind.HEALTH_CHECK_FAILED}:{report.month}:{indicator.name}",
            kind=AlertKind.HEALTH_CHECK_FAILED,
            subject=str(indicator.name),
            severity="critical",
            message=(
                f"{report.month} {indicator.label} {_shown(indicator)} is in the alarm range "
                f"{indicator.alarm_range}: {indicator.action} ({indicator.action_zh})"
            ),
            details=_details(report.month, indicator),
            occurred_at=occurred_at,
        )
        for indicator in report.failed
    ]


def _shown(indicator: HealthIndicator) -> str:
    if indicator.value is None:
        return "n/a"
    if indicator.unit == "ratio":
        return f"{indicator.value:.1%}"
    return f"{indicator.value:.1f} days"


def _details(month: str, indicator: HealthIndicator) -> dict[str, Any]:
    return {
        "month": month,
        "value": indicator.value,
        "unit": indicator.unit,
        "normal_range": indicator.normal_range,
        "alarm_range": indicator.alarm_range,
        "numerator": indicator.numerator,
        "denominator": indicator.denominator,
        "label_zh": indicator.label_zh,
        "action": indicator.action,
        "action_zh": indicator.action_zh,
    }

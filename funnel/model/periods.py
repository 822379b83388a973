"""Reporting periods (half-open, event time), calendar months and shared day statistics."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open event-time window `[start, end)`; `start <= t < end` is inside."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends before it starts: {self.start} > {self.end}")

    def contains(self, at: datetime) -> bool:
        """Whether `at` falls inside the window (start inclusive, end exclusive)."""
        return self.start <= at < self.end


def in_period(at: datetime, period: Period | None) -> bool:
    """Whether `at` passes the period filter; no period means every moment passes."""
    return period is None or period.contains(at)


def month_of(at: datetime, tz: tzinfo = UTC) -> str:
    """The calendar month `YYYY-MM` that `at` falls in, in time zone `tz`."""
    return at.astimezone(tz).strftime("%Y-%m")


def month_period(month: str, tz: tzinfo = UTC) -> Period:
    """The period of calendar month `YYYY-MM` in time zone `tz`, midnight to midnight."""
    first = datetime.strptime(month, "%Y-%m").replace(tzinfo=tz)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following)


def days_between(start: datetime, end: datetime) -> float:
    """Elapsed days (fractional) from `start` to `end`."""
    return days_in(end - start)


def days_in(elapsed: timedelta) -> float:
    """A duration in (fractional) days: its seconds, then / 86 400 (two roundings, as ever)."""
    return elapsed.total_seconds() / SECONDS_PER_DAY


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, or None for no values."""
    return statistics.fmean(values) if values else None


def median(values: Sequence[float]) -> float | None:
    """Median (mean of the two middle values for an even count), or None for no values."""
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """90th percentile by nearest rank: the ceil(0.9·n)-th smallest value, or None."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is zero."""
    return numerator / denominator if denominator else None

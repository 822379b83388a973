"""When the scheduled checks run: the last month closed, by event time, with a grace period."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from funnel.model.periods import month_of, month_period


def previous_month(month: str) -> str:
    """The calendar month before `YYYY-MM`."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def last_closed_month(watermark: datetime, grace: timedelta, tz: tzinfo) -> str:
    """The latest month that ended at least `grace` before the event-time `watermark`.

    The grace gives the projector time to write a month's last facts before it is judged.
    """
    return previous_month(month_of(watermark - grace, tz))


def month_end(month: str, tz: tzinfo) -> datetime:
    """The first moment after month `YYYY-MM` in `tz`: the checks' `as_of`."""
    return month_period(month, tz).end

"""Event time as integer microseconds since the epoch, and half-life decay over it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_US = 86_400_000_000


def to_us(moment: datetime) -> int:
    """Exact microseconds since the epoch (integer arithmetic, so replays agree bit for bit)."""
    delta = moment - EPOCH  # its parts, not `delta // 1µs`: the same integer, a third of the cost
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """The UTC datetime of a microsecond timestamp."""
    return EPOCH + timedelta(microseconds=us)


def decay(elapsed_us: int, half_life_days: float | None) -> float:
    """The factor points keep after `elapsed_us`: halves every half-life; 1 when nothing decays."""
    if half_life_days is None or elapsed_us == 0:
        return 1.0
    return float(0.5 ** (elapsed_us / (half_life_days * DAY_US)))

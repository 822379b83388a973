"""Training examples: open opportunities at many past cut-offs, labelled by what came next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from forecast.model.features import History, Snapshot, by_opportunity, open_snapshots
from funnel.model.rows import StageIntervalRow

LOST = "lost"


@dataclass(frozen=True, slots=True)
class Example:
    """An opportunity's features at a cut-off and whether it was lost within the horizon."""

    snapshot: Snapshot
    lost: bool


def lost_within(stays: Sequence[StageIntervalRow], at: datetime, horizon: timedelta) -> bool:
    """Whether the opportunity (its stays in entry order) was lost in [at, at + horizon):
    its last stay ended `lost` then. Won, still open or lost later: False."""
    last = stays[-1]
    ended = last.exited_at
    return last.outcome == LOST and ended is not None and at <= ended < at + horizon


def cutoffs(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Cut-off moments from `start` up to `end` (inclusive), `step` apart."""
    found, at = [], start
    while at <= end:
        found.append(at)
        at += step
    return found


def labelled(
    history: History,
    moments: Sequence[datetime],
    horizon: timedelta,
) -> list[Example]:
    """Every opportunity open at each moment, with its label. The caller keeps moments at
    least `horizon` before the end of the history, so every label is known."""
    stays = by_opportunity(history.stays)
    return [
        Example(shot, lost_within(stays[shot.opportunity_id], shot.at, horizon))
        for at in moments
        for shot in open_snapshots(history, at)
    ]


@dataclass(frozen=True, slots=True)
class TimeSplit:
    """Training cut-offs end a horizon before `split`, so no training label looks past it;
    evaluation cut-offs start at `split`."""

    train: tuple[datetime, ...]
    test: tuple[datetime, ...]
    split: datetime


def time_split(
    first: datetime, end: datetime, horizon: timedelta, step: timedelta, test_share: float
) -> TimeSplit:
    """Cut-offs from `first` to `end - horizon`; the last `test_share` of that span is held out."""
    last = end - horizon
    split = last - (last - first) * test_share
    train = tuple(at for at in cutoffs(first, last, step) if at + horizon <= split)
    test = tuple(at for at in cutoffs(first, last, step) if at >= split)
    return TimeSplit(train, test, split)

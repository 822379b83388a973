"""Features of an open opportunity as of a moment, from its history before then. Pure, no I/O.

Everything is computed from facts that happened strictly before the cut-off `at`: a stay that
ended after `at` counts as still open, communications and events from `at` on are not seen, and
each stage's median stay and loss rate are taken over the stays that had ended by `at`. So the
same function builds training examples at past cut-offs and scores the open opportunities now.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from funnel.model.rows import StageIntervalRow

DAY = 86_400.0
TREND_DAYS = 14.0  # the window of the activity trend and of recent effective communications
FALLBACK_MEDIAN_DAYS = 1.0  # a stage with no ended stay yet

FEATURES: tuple[str, ...] = (
    "days_since_effective_contact",
    "silence_vs_median",
    "stay_vs_median",
    "effective_communications_14d",
    "ineffective_share",
    "stage_regressions",
    "opportunity_age_days",
    "log_amount",
    "stage_loss_rate",
    "activity_trend_14d",
)
LOG_SCALED = frozenset(
    {"days_since_effective_contact", "silence_vs_median", "stay_vs_median",
     "effective_communications_14d", "opportunity_age_days"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Contact:
    """A logged communication (funnel.communications): about which deal, when, effective?"""

    lead_id: str
    opportunity_id: str | None
    occurred_at: datetime
    is_effective: bool


@dataclass(frozen=True, slots=True)
class History:
    """What the read models hold: every stay, communication and lead event time."""

    stays: tuple[StageIntervalRow, ...]
    contacts: tuple[Contact, ...]
    activity: Mapping[str, tuple[datetime, ...]]  # lead id -> its behaviour events' times
    # `stage_norms` of every stay as of the one moment this history was read for, when the
    # stays above are only the opportunities open then (forecast.store.load_open)
    norms: Mapping[str, StageNorm] | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An opportunity open at `at`: its features and what the reasons' texts need."""

    opportunity_id: str
    lead_id: str | None
    owner: str | None
    at: datetime
    stage: str
    days_in_stage: float
    stage_median_days: float
    values: Mapping[str, float]  # FEATURES name -> value

    def vector(self) -> list[float]:
        """What the model reads, in FEATURES order: the values, long-tailed ones as log(1 + v)."""
        return [model_input(name, self.values[name]) for name in FEATURES]


def model_input(name: str, value: float) -> float:
    """A feature's value as the model reads it: durations and counts on a log scale, where a
    week more of silence matters more after two days than after two months."""
    return math.log1p(max(0.0, value)) if name in LOG_SCALED else value


def _days(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / DAY)


@dataclass(frozen=True, slots=True)
class StageNorm:
    """What the stays that had ended by a moment say about a stage: median days, share lost."""

    median_days: float
    loss_rate: float


def norm_of(middles: Sequence[float], ended: int, lost: int) -> StageNorm:
    """A stage's norm from its ended stays' middle value(s) in days, their count and the lost
    ones among them: what `stage_norms` computes, from an aggregate (the same floats)."""
    return StageNorm(median(middles), lost / ended)


def stage_norms(stays: Iterable[StageIntervalRow], at: datetime) -> dict[str, StageNorm]:
    """Per stage, over the stays that had ended before `at`: median days and share lost."""
    ended: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for stay in stays:
        if stay.exited_at is not None and stay.exited_at < at:
            days = _days(stay.exited_at, stay.entered_at)
            ended[stay.stage].append((days, stay.outcome == "lost"))
    return {
        stage: StageNorm(median(d for d, _ in found), sum(lost for _, lost in found) / len(found))
        for stage, found in ended.items()
    }


def by_opportunity(stays: Iterable[StageIntervalRow]) -> dict[str, list[StageIntervalRow]]:
    """Each opportunity's stays in entry order."""
    grouped: dict[str, list[StageIntervalRow]] = defaultdict(list)
    for stay in stays:
        grouped[stay.opportunity_id].append(stay)
    return {key: sorted(found, key=lambda s: s.entered_at) for key, found in grouped.items()}


def current_stay(stays: Sequence[StageIntervalRow], at: datetime) -> StageIntervalRow | None:
    """The stay the opportunity was in at `at`, or None (not yet opened, or closed by then)."""
    for stay in stays:
        if stay.entered_at < at and (stay.exited_at is None or stay.exited_at >= at):
            return stay
    return None


def _contacts_index(contacts: Iterable[Contact]) -> dict[str, list[Contact]]:
    """Communications per opportunity id, and per `lead:<id>` for those naming no deal."""
    index: dict[str, list[Contact]] = defaultdict(list)
    for contact in contacts:
        index[contact.opportunity_id or f"lead:{contact.lead_id}"].append(contact)
    return index


def _activity_trend(times: Sequence[datetime], at: datetime) -> float:
    window = timedelta(days=TREND_DAYS)
    recent = sum(at - window <= t < at for t in times)
    before = sum(at - 2 * window <= t < at - window for t in times)
    return float(recent - before)


def snapshot(
    stays: Sequence[StageIntervalRow],
    contacts: Sequence[Contact],
    activity: Sequence[datetime],
    norms: Mapping[str, StageNorm],
    at: datetime,
) -> Snapshot | None:
    """The features of one opportunity (its stays in entry order) as of `at`; None when it
    was not open then."""
    stay = current_stay(stays, at)
    if stay is None:
        return None
    seen = [c for c in contacts if c.occurred_at < at]
    effective = [c.occurred_at for c in seen if c.is_effective]
    opened = stays[0].entered_at
    last_effective = max(effective, default=opened)
    norm = norms.get(stay.stage)
    regressions = sum(s.outcome == "regressed" and s.exited_at < at for s in stays if s.exited_at)
    amounts = [s.amount for s in stays if s.entered_at < at and s.amount]
    in_stage = _days(at, stay.entered_at)
    stage_median = (norm.median_days if norm else 0.0) or FALLBACK_MEDIAN_DAYS
    window_start = at - timedelta(days=TREND_DAYS)
    silence = _days(at, last_effective)
    values = {
        "days_since_effective_contact": silence,
        "silence_vs_median": silence / stage_median,
        "stay_vs_median": in_stage / stage_median,
        "effective_communications_14d": float(sum(t >= window_start for t in effective)),
        "ineffective_share": (len(seen) - len(effective)) / len(seen) if seen else 0.0,
        "stage_regressions": float(regressions),
        "opportunity_age_days": _days(at, opened),
        "log_amount": math.log10(amounts[-1]) if amounts else 0.0,
        "stage_loss_rate": norm.loss_rate if norm else 0.0,
        "activity_trend_14d": _activity_trend(activity, at),
    }
    return Snapshot(
        stay.opportunity_id, stay.lead_id, stay.owner, at, stay.stage, in_stage, stage_median,
        values,
    )  # fmt: skip


def open_snapshots(history: History, at: datetime) -> list[Snapshot]:
    """The features of every opportunity open at `at`, by opportunity id."""
    norms = stage_norms(history.stays, at) if history.norms is None else history.norms
    contacts = _contacts_index(history.contacts)
    found = []
    for opportunity_id, stays in sorted(by_opportunity(history.stays).items()):
        lead = stays[0].lead_id
        talks = contacts.get(opportunity_id, []) + contacts.get(f"lead:{lead}", [])
        events = history.activity.get(lead, ()) if lead else ()
        shot = snapshot(stays, talks, events, norms, at)
        if shot is not None:
            found.append(shot)
    return found

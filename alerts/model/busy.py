"""Busy but not advancing: owners with many ineffective contacts or deals stuck at the start."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from funnel.model.periods import Period, days_between, ratio
from funnel.model.rows import StageIntervalRow
from funnel.model.stages import DEFAULT_ORDER, StageOrder
from schemas.outgoing import Alert, AlertKind

MOSTLY_INEFFECTIVE = "mostly_ineffective_communication"
STUCK_IN_FIRST_STAGE = "stuck_in_first_stage"
EVIDENCE_IDS = 20  # enough opportunity ids to act on, few enough for a chat message


class BusyConfig(BaseModel):
    """When an owner counts as busy but not advancing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_communications: int = Field(default=20, ge=1, description="'many' logged in the window")
    min_effective_share: float = Field(default=0.5, ge=0.0, le=1.0, description="below: 'mostly'")
    stuck_days: float = Field(default=14.0, gt=0.0, description="days in the first stage")
    min_stuck: int = Field(default=3, ge=1, description="stuck opportunities that raise it")


class Contact(Protocol):
    """What the rule reads of a logged communication; the projector's rows fit it as is."""

    @property
    def owner(self) -> str | None: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def is_effective(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Communication:
    """A logged communication: who, when, and whether it was effective."""

    owner: str | None
    occurred_at: datetime
    is_effective: bool


@dataclass(frozen=True, slots=True)
class OwnerAssessment:
    """The evidence on one owner and which of the two signs it shows."""

    owner: str
    communications: int
    effective: int
    share_effective: float | None
    stuck_opportunities: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def is_busy_not_advancing(self) -> bool:
        """Whether either sign shows."""
        return bool(self.reasons)


def assess_owners(
    contacts: Iterable[Contact],
    stays: Iterable[StageIntervalRow],
    window: Period,
    as_of: datetime | None = None,
    config: BusyConfig | None = None,
    order: StageOrder = DEFAULT_ORDER,
) -> list[OwnerAssessment]:
    """Per owner: contacts logged in the window, first-stage stays open too long at `as_of`."""
    config = config or BusyConfig()
    judged_at = window.end if as_of is None else as_of
    logged: dict[str, list[bool]] = defaultdict(list)
    for contact in contacts:
        if contact.owner and window.contains(contact.occurred_at):
            logged[contact.owner].append(contact.is_effective)
    stuck: dict[str, set[str]] = defaultdict(set)
    for stay in stays:
        if stay.owner and stay.stage == order.first and _stuck(stay, judged_at, config):
            stuck[stay.owner].add(stay.opportunity_id)
    owners = sorted(set(logged) | set(stuck))
    return [_assess(owner, logged[owner], sorted(stuck[owner]), config) for owner in owners]


def _stuck(stay: StageIntervalRow, at: datetime, config: BusyConfig) -> bool:
    still_there = stay.entered_at <= at and (stay.exited_at is None or stay.exited_at > at)
    return still_there and days_between(stay.entered_at, at) > config.stuck_days


def _assess(
    owner: str, logged: list[bool], stuck: list[str], config: BusyConfig
) -> OwnerAssessment:
    effective = sum(logged)
    share = ratio(effective, len(logged))
    reasons = []
    if len(logged) >= config.min_communications and (share or 0.0) < config.min_effective_share:
        reasons.append(MOSTLY_INEFFECTIVE)
    if len(stuck) >= config.min_stuck:
        reasons.append(STUCK_IN_FIRST_STAGE)
    return OwnerAssessment(owner, len(logged), effective, share, tuple(stuck), tuple(reasons))


def busy_alerts(
    assessments: Iterable[OwnerAssessment], window: Period, as_of: datetime
) -> list[Alert]:
    """One `owner_not_advancing` alert per flagged owner; ids are stable per owner and window."""
    return [
        Alert(
            alert_id=f"{AlertKind.OWNER_NOT_ADVANCING}:{a.owner}:"
            f"{window.start.isoformat()}/{window.end.isoformat()}",
            kind=AlertKind.OWNER_NOT_ADVANCING,
            subject=a.owner,
            owner=a.owner,
            message=_message(a),
            details={
                "reasons": list(a.reasons),
                "communications": a.communications,
                "effective": a.effective,
                "share_effective": a.share_effective,
                "stuck_count": len(a.stuck_opportunities),
                "stuck_opportunities": list(a.stuck_opportunities[:EVIDENCE_IDS]),
                "window_start": window.start.isoformat(),
                "window_end": window.end.isoformat(),
            },
            occurred_at=as_of,
        )
        for a in assessments
        if a.is_busy_not_advancing
    ]


def _message(a: OwnerAssessment) -> str:
    parts = []
    if MOSTLY_INEFFECTIVE in a.reasons:
        parts.append(f"{a.effective} of {a.communications} communications effective")
    if STUCK_IN_FIRST_STAGE in a.reasons:
        parts.append(f"{len(a.stuck_opportunities)} opportunities stuck in the first stage")
    return f"{a.owner} is busy but not advancing: " + "; ".join(parts)

"""Stale leads: an active lead idle longer than its tier allows raises one alert per idle period."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from schemas.outgoing import Alert, AlertKind, Tier

ACTIVE_TIERS = frozenset({Tier.MQL, Tier.SQL, Tier.OPPORTUNITY})
SECONDS_PER_DAY = 86_400


class StaleConfig(BaseModel):
    """Idle days allowed before a lead is stale; per tier, an open opportunity counts as one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_days: float = Field(default=7.0, gt=0.0)
    days_by_tier: dict[Tier, float] = Field(default_factory=dict)

    def allowed_idle(self, tier: Tier, has_open_opportunity: bool) -> timedelta:
        """How long the lead may go without an interaction."""
        effective = Tier.OPPORTUNITY if has_open_opportunity else tier
        return timedelta(days=self.days_by_tier.get(effective, self.default_days))


DEFAULT_CONFIG = StaleConfig()


@dataclass(frozen=True, slots=True)
class LeadActivity:
    """What the stale rule keeps per lead; a fold over the lead's interactions and status."""

    lead_id: str
    tier: Tier = Tier.LEAD
    has_open_opportunity: bool = False
    owner: str | None = None
    last_activity_at: datetime | None = None
    active_since: datetime | None = None  # when it last became active; None while inactive
    alerted_idle_since: datetime | None = None  # idle period already flagged and not yet cleared

    @property
    def is_active(self) -> bool:
        """MQL or above, or with an open opportunity."""
        return self.tier in ACTIVE_TIERS or self.has_open_opportunity

    @property
    def idle_since(self) -> datetime | None:
        """Start of the current idle period: last interaction, or becoming active if later."""
        if not self.is_active or self.active_since is None:
            return None
        if self.last_activity_at is None:
            return self.active_since
        return max(self.last_activity_at, self.active_since)


def stale_at(state: LeadActivity, config: StaleConfig | None = None) -> datetime | None:
    """The moment after which the lead counts as stale, or None while it is not active."""
    idle_since = state.idle_since
    if idle_since is None:
        return None
    allowed = (config or DEFAULT_CONFIG).allowed_idle(state.tier, state.has_open_opportunity)
    return idle_since + allowed


def evaluate(
    state: LeadActivity, now: datetime, config: StaleConfig | None = None
) -> tuple[LeadActivity, list[Alert]]:
    """Flag the lead once if it is stale at event time `now` (a watermark, never ahead of input)."""
    idle_since, deadline = state.idle_since, stale_at(state, config)
    if idle_since is None or deadline is None or now <= deadline:
        return state, []
    if state.alerted_idle_since == idle_since:
        return state, []  # this idle period is already flagged
    flagged = replace(state, alerted_idle_since=idle_since)
    return flagged, [_stale_alert(flagged, idle_since, deadline)]


def on_activity(
    state: LeadActivity, at: datetime, config: StaleConfig | None = None
) -> tuple[LeadActivity, list[Alert]]:
    """Record an interaction at `at`: close the idle period it ends, clear a raised flag."""
    state, alerts = evaluate(state, at, config)
    if state.last_activity_at is not None and at <= state.last_activity_at:
        return state, alerts  # a late or repeated interaction changes nothing
    state = replace(state, last_activity_at=at)
    flagged = state.alerted_idle_since
    if flagged is not None and state.idle_since != flagged:
        state = replace(state, alerted_idle_since=None)
        alerts.append(_reactivated_alert(state, flagged, at))
    return state, alerts


def on_status(
    state: LeadActivity,
    at: datetime,
    tier: Tier,
    has_open_opportunity: bool,
    owner: str | None = None,
    config: StaleConfig | None = None,
) -> tuple[LeadActivity, list[Alert]]:
    """Record a tier, opportunity or owner change at `at`, judging idleness up to it first."""
    state, alerts = evaluate(state, at, config)
    was_active = state.is_active
    state = replace(
        state, tier=tier, has_open_opportunity=has_open_opportunity, owner=owner or state.owner
    )
    if state.is_active and not was_active:
        state = replace(state, active_since=at)
    elif not state.is_active:
        # no longer followed up (lost, demoted): the flag lapses silently, nothing resumed
        state = replace(state, active_since=None, alerted_idle_since=None)
    return state, alerts


def _stale_alert(state: LeadActivity, idle_since: datetime, deadline: datetime) -> Alert:
    days = (deadline - idle_since).total_seconds() / SECONDS_PER_DAY
    return Alert(
        alert_id=f"{AlertKind.LEAD_STALE}:{state.lead_id}:{idle_since.isoformat()}",
        kind=AlertKind.LEAD_STALE,
        subject=state.lead_id,
        owner=state.owner,
        message=f"Lead {state.lead_id} ({state.tier}) had no interaction for over {days:g} days",
        details={
            "tier": str(state.tier),
            "has_open_opportunity": state.has_open_opportunity,
            "idle_since": idle_since.isoformat(),
            "allowed_idle_days": days,
        },
        occurred_at=deadline,
    )


def _reactivated_alert(state: LeadActivity, idle_since: datetime, at: datetime) -> Alert:
    return Alert(
        alert_id=f"{AlertKind.LEAD_REACTIVATED}:{state.lead_id}:{idle_since.isoformat()}",
        kind=AlertKind.LEAD_REACTIVATED,
        subject=state.lead_id,
        owner=state.owner,
        severity="info",
        message=f"Lead {state.lead_id} has an interaction again",
        details={"idle_since": idle_since.isoformat(), "reactivated_at": at.isoformat()},
        occurred_at=at,
    )

"""Alerts for deals whose risk crossed the bar: once per crossing, with stable ids. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from forecast.model.assess import Assessment
from schemas.outgoing import Alert, AlertKind


@dataclass(frozen=True, slots=True)
class Crossings:
    """What a risk check decides: deals newly above the bar (with their alerts), and deals
    whose crossing ended (back below the bar, or no longer open)."""

    started: tuple[Assessment, ...]
    ended: tuple[str, ...]
    alerts: tuple[Alert, ...]


def alert_id(opportunity_id: str, crossed_at: datetime) -> str:
    """The same crossing always gets the same id, so the outbox keeps one alert per crossing."""
    return f"{AlertKind.OPPORTUNITY_AT_RISK}:{opportunity_id}:{crossed_at.isoformat()}"


def risk_alert(a: Assessment, bar: float, crossed_at: datetime) -> Alert:
    """The alert for one deal that crossed the bar at `crossed_at`."""
    shot = a.snapshot
    why = "; ".join(reason.text for reason in a.reasons) or "no single reason stands out"
    return Alert(
        alert_id=alert_id(shot.opportunity_id, crossed_at),
        kind=AlertKind.OPPORTUNITY_AT_RISK,
        subject=shot.opportunity_id,
        owner=shot.owner,
        message=f"{shot.opportunity_id} in {shot.stage}: risk {a.risk:.0%} of being lost: {why}",
        details={
            "lead_id": shot.lead_id,
            "stage": shot.stage,
            "risk": round(a.risk, 4),
            "bar": bar,
            "reasons": [reason.text for reason in a.reasons],
            "model_version": a.model_version,
        },
        occurred_at=crossed_at,
    )


def crossings(
    assessed: Sequence[Assessment], above: Mapping[str, datetime], bar: float, at: datetime
) -> Crossings:
    """Compare the risks at `at` with the deals already above the bar (`above`: since when)."""
    now_above = {a.snapshot.opportunity_id: a for a in assessed if a.is_at_risk(bar)}
    started = tuple(a for key, a in sorted(now_above.items()) if key not in above)
    ended = tuple(sorted(key for key in above if key not in now_above))
    return Crossings(started, ended, tuple(risk_alert(a, bar, at) for a in started))

"""A rep's to-do list for one week (自动生成下周待办清单). Pure: rows in, ordered items out.

Four sources, each a fact already in the read models (docs/metrics.md, "Weekly to-do list"):
agreed next steps falling due by the week's end and not yet followed up, the rep's leads gone
quiet for longer than their tier allows, stage moves past their gate in the week before, and
open opportunities the risk model flags (when one is trained).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from schemas.outgoing import Alert, AlertKind

Kind = Literal["next_step", "stale_lead", "gate_violation", "at_risk"]
_ORDER: dict[str, int] = {"next_step": 0, "at_risk": 1, "stale_lead": 2, "gate_violation": 3}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, slots=True)
class Week:
    """An ISO week, Monday to Sunday, named like 2026-W49."""

    start: date

    @property
    def end(self) -> date:
        """The first day after the week."""
        return self.start + timedelta(days=7)

    @property
    def name(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    def starts_at(self, tz: tzinfo) -> datetime:
        """Monday 00:00 in `tz`."""
        return datetime.combine(self.start, time(0), tzinfo=tz)

    @classmethod
    def parse(cls, text: str) -> Week:
        """`YYYY-Www`; a ValueError names what is wrong."""
        found = _WEEK.match(text)
        if found is None:
            raise ValueError(f"not an ISO week like 2026-W49: {text!r}")
        return cls(date.fromisocalendar(int(found[1]), int(found[2]), 1))

    @classmethod
    def of(cls, day: date) -> Week:
        """The week holding `day`."""
        return cls(day - timedelta(days=day.weekday()))


@dataclass(frozen=True, slots=True)
class NextStep:
    """A logged communication of the rep, with the next step it agreed (if any)."""

    communication_id: str
    lead_id: str
    opportunity_id: str | None
    occurred_at: datetime
    next_step_due: date | None


@dataclass(frozen=True, slots=True)
class QuietLead:
    """An open lead of the rep: its tier, last activity and the idle time its tier allows."""

    lead_id: str
    tier: str
    last_activity_at: datetime
    allowed_idle: timedelta


@dataclass(frozen=True, slots=True)
class PastGate:
    """A stage move of the rep that lacked what its gate requires."""

    event_id: str
    lead_id: str | None
    opportunity_id: str
    stage: str
    missing: tuple[str, ...]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class AtRisk:
    """An open opportunity of the rep the risk model scores above the bar."""

    opportunity_id: str
    lead_id: str | None
    risk: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Todo:
    """One thing to do this week; `source_id` says which record it comes from."""

    kind: Kind
    due: date
    lead_id: str | None
    opportunity_id: str | None
    detail: str
    source_id: str


def _open_steps(steps: Iterable[NextStep], week: Week) -> list[Todo]:
    """Next steps due before the week ends with no later communication on the same deal."""
    ordered = sorted(steps, key=lambda s: (s.occurred_at, s.communication_id))
    latest: dict[str, datetime] = {}
    for step in ordered:
        latest[step.opportunity_id or step.lead_id] = step.occurred_at
    todos = []
    for step in ordered:
        due = step.next_step_due
        if due is None or due >= week.end:
            continue
        if latest[step.opportunity_id or step.lead_id] > step.occurred_at:
            continue  # followed up since
        late = " (overdue)" if due < week.start else ""
        todos.append(
            Todo(
                "next_step",
                due,
                step.lead_id,
                step.opportunity_id,
                f"agreed next step due {due.isoformat()}{late}",
                step.communication_id,
            )
        )
    return todos


def _quiet(leads: Iterable[QuietLead], week: Week, tz: tzinfo) -> list[Todo]:
    todos = []
    start = week.starts_at(tz)
    for lead in leads:
        last = lead.last_activity_at
        if start - last <= lead.allowed_idle:
            continue
        days = (start - last).days
        detail = f"{lead.tier} lead quiet for {days} days (allowed {lead.allowed_idle.days})"
        todos.append(Todo("stale_lead", week.start, lead.lead_id, None, detail, lead.lead_id))
    return todos


def _past_gates(moves: Iterable[PastGate], week: Week, tz: tzinfo) -> list[Todo]:
    since = week.start - timedelta(days=7)
    return [
        Todo(
            "gate_violation",
            week.start,
            move.lead_id,
            move.opportunity_id,
            f"move into {move.stage} lacks {', '.join(move.missing)}",
            move.event_id,
        )
        for move in moves
        if since <= move.occurred_at.astimezone(tz).date() < week.start and move.missing
    ]


def _risky(risks: Iterable[AtRisk], week: Week) -> list[Todo]:
    return [
        Todo(
            "at_risk",
            week.start,
            risk.lead_id,
            risk.opportunity_id,
            f"risk {risk.risk:.0%}: {'; '.join(risk.reasons[:2])}" if risk.reasons else "",
            risk.opportunity_id,
        )
        for risk in risks
    ]


def weekly_todos(
    week: Week,
    steps: Iterable[NextStep] = (),
    leads: Iterable[QuietLead] = (),
    moves: Iterable[PastGate] = (),
    risks: Iterable[AtRisk] = (),
    tz: tzinfo = UTC,
) -> list[Todo]:
    """The week's list (its days in `tz`): earliest due first, then next steps, risks, quiet
    leads, gates."""
    todos = [
        *_open_steps(steps, week),
        *_quiet(leads, week, tz),
        *_past_gates(moves, week, tz),
        *_risky(risks, week),
    ]
    return sorted(todos, key=lambda t: (t.due, _ORDER[t.kind], t.source_id))


_KIND_NAMES = {
    "next_step": "next step",
    "at_risk": "deal at risk",
    "stale_lead": "quiet lead",
    "gate_violation": "move past its gate",
}


def item(todo: Todo) -> dict[str, str | None]:
    """A to-do as JSON (the API's and the alert's item)."""
    return {
        "kind": todo.kind,
        "due": todo.due.isoformat(),
        "lead_id": todo.lead_id,
        "opportunity_id": todo.opportunity_id,
        "detail": todo.detail,
        "source_id": todo.source_id,
    }


def todo_alerts(week: Week, lists: dict[str, list[Todo]], as_of: datetime) -> list[Alert]:
    """One `weekly_todos` alert per rep with something to do (ids stable per rep and week), for
    the alert topic's webhooks (WeCom, e-mail tools)."""
    alerts = []
    for owner in sorted(lists):
        todos = lists[owner]
        if not todos:
            continue
        counts = Counter(todo.kind for todo in todos)
        parts = [f"{n} {_KIND_NAMES[kind]}{'s' if n > 1 else ''}" for kind, n in counts.items()]
        alerts.append(
            Alert(
                alert_id=f"{AlertKind.WEEKLY_TODOS}:{owner}:{week.name}",
                kind=AlertKind.WEEKLY_TODOS,
                subject=owner,
                owner=owner,
                severity="info",
                message=f"{owner}: {len(todos)} to-dos for {week.name} ({', '.join(parts)})",
                details={"week": week.name, "items": [item(todo) for todo in todos]},
                occurred_at=as_of,
            )
        )
    return alerts

"""A lead's score over time: its timeline replayed through the scoring fold (pure, no I/O).

The read models keep only the latest score; the log's events for the lead (its timeline,
merged leads included) replayed in event-time order under the running rules give every value
in between, with daily decay samples between events. The last point is what the rules say now.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from schemas.events import Event, parse_event
from scoring.model.engine import apply, new_lead, sweep
from scoring.model.rules import RuleSet
from scoring.model.state import LeadState

MAX_SAMPLES = 400


@dataclass(frozen=True, slots=True)
class ScorePoint:
    """The lead's score and tier at one moment; `event_id` None for a decay sample."""

    at: datetime
    score: float
    tier: str
    event_id: str | None = None
    event_type: str | None = None


def as_event(lead_id: str, row: dict[str, Any]) -> Event | None:
    """A timeline row as the envelope the fold takes (None when it no longer validates)."""
    try:
        return parse_event(
            {
                "event_id": row["event_id"],
                "type": row["type"],
                "channel": row["channel"],
                "campaign": row.get("campaign"),
                "occurred_at": row["occurred_at"],
                "received_at": row["occurred_at"],
                "source": "timeline",
                "identities": {"anonymous_id": lead_id},
                "properties": row["properties"],
            }
        )
    except ValidationError:
        return None


def _decay(
    state: LeadState, start: datetime, end: datetime, rules: RuleSet, step: timedelta
) -> Iterator[ScorePoint]:
    at = start + step
    while at < end:
        swept, _ = sweep(state, at, rules)
        yield ScorePoint(at, swept.score, str(swept.tier))
        at += step


def score_history(
    lead_id: str, rows: Iterable[dict[str, Any]], rules: RuleSet, until: datetime
) -> list[ScorePoint]:
    """Score after every admitted event, sampled between events, up to `until`."""
    events = [event for row in rows if (event := as_event(lead_id, row)) is not None]
    events.sort(key=lambda event: (event.occurred_at, event.event_id))
    if not events:
        return []
    span = max(until, events[-1].occurred_at) - events[0].occurred_at
    step = max(timedelta(hours=6), span / MAX_SAMPLES)
    state, points = new_lead(lead_id), list[ScorePoint]()
    for event in events:
        after, _ = apply(state, event, rules)
        if after is state:  # a duplicate, too late or ineffective: the score did not move
            continue
        if points:
            points.extend(_decay(state, points[-1].at, event.occurred_at, rules, step))
        state = after
        at, kind = event.occurred_at, event.type
        points.append(ScorePoint(at, state.score, str(state.tier), event.event_id, kind))
    points.extend(_decay(state, points[-1].at, until, rules, step))
    if until > points[-1].at:
        swept, _ = sweep(state, until, rules)
        points.append(ScorePoint(until, swept.score, str(swept.tier)))
    return points

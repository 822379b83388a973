"""Awards: the points each rep activity earns its owner under the points file (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from funnel.model.periods import month_of
from funnel.model.rows import StageIntervalRow
from performance.model.rules import PointsRules, When
from schemas.events import CommunicationLoggedEvent, FeedbackGivenEvent
from schemas.outgoing import ResolvedEvent

Facts = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Activity:
    """One activity of a rep and the points it earned per rule (a row of `rep_activity`).

    A communication is one activity however often the CRM re-sends it (the newest version by
    event time wins); a stay is an opportunity leaving a stage; feedback is one event.
    """

    source: str  # communication | stay | feedback
    source_id: str
    owner: str
    occurred_at: datetime
    event_id: str
    opportunity_id: str | None
    rules_version: str
    awards: dict[str, float] = field(default_factory=dict)  # rule id → points; may be empty
    lead_id: str | None = None  # whom it was about (the survivor): erasing them forgets it

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the activity across redeliveries and re-sends."""
        return (self.source, self.source_id)

    @property
    def points(self) -> float:
        """The activity's points over every rule."""
        return sum(self.awards.values())


def matches(when: When, facts: Facts) -> bool:
    """Whether every condition the rule sets holds for the activity's facts."""
    checks = (
        (when.effective, lambda v: facts.get("effective") == v),
        (when.minutes_uploaded, lambda v: facts.get("minutes_uploaded") == v),
        (when.kind, lambda v: facts.get("kind") in v),
        (when.outcome, lambda v: facts.get("outcome") in v),
        (when.score_at_most, lambda v: _score(facts) <= v),
        (when.score_at_least, lambda v: _score(facts) >= v),
    )
    return all(check(value) for value, check in checks if value is not None)


def _score(facts: Facts) -> int:
    score = facts.get("score")
    return score if isinstance(score, int) else -1


def awards(rules: PointsRules, event_type: str, facts: Facts) -> dict[str, float]:
    """Points per matching rule of the event type (every matching rule adds its points)."""
    return {r.id: r.points for r in rules.rules_for(event_type) if matches(r.when, facts)}


def event_activity(
    event: CommunicationLoggedEvent | FeedbackGivenEvent,
    rules: PointsRules,
    lead_id: str | None = None,
) -> Activity | None:
    """A logged communication's or a customer's feedback's activity; None when it names no rep
    (a version 1 communication may lack its owner, feedback may name none)."""
    p = event.properties
    if p.owner is None:
        return None
    if isinstance(event, CommunicationLoggedEvent):
        source, source_id = "communication", event.properties.communication_id
        facts: dict[str, object] = {
            "effective": event.properties.is_effective,
            "minutes_uploaded": event.properties.minutes_uploaded,
            "kind": event.properties.kind,
        }
    else:
        source, source_id = "feedback", event.event_id
        facts = {"score": event.properties.score}
    return Activity(
        source,
        source_id,
        p.owner,
        event.occurred_at,
        event.event_id,
        p.opportunity_id,
        rules.version,
        awards(rules, event.type, facts),
        lead_id,
    )


def stay_activity(stay: StageIntervalRow, rules: PointsRules) -> Activity | None:
    """An opportunity leaving a stage (advanced, won, lost, regressed), for the rep who owned it
    then; None while it stays or when no owner is known."""
    if stay.exited_at is None or stay.outcome is None or stay.owner is None:
        return None
    return Activity(
        "stay",
        f"{stay.opportunity_id}/{stay.seq}",
        stay.owner,
        stay.exited_at,
        stay.entered_event_id,
        stay.opportunity_id,
        rules.version,
        awards(rules, "sales_stage_changed", {"outcome": stay.outcome}),
        stay.lead_id,
    )


def newest(activities: Iterable[Activity]) -> dict[tuple[str, str], Activity]:
    """One activity per key: the newest by (event time, event id), whatever the arrival order."""
    kept: dict[tuple[str, str], Activity] = {}
    for activity in activities:
        known = kept.get(activity.key)
        if known is None or (activity.occurred_at, activity.event_id) > (
            known.occurred_at,
            known.event_id,
        ):
            kept[activity.key] = activity
    return kept


def event_activities(
    facts: Iterable[object], rules: PointsRules, aliases: Mapping[str, str] | None = None
) -> list[Activity]:
    """The communication and feedback activities of a projector batch, newest per key, each
    about its lead's survivor (`aliases`: merged lead → survivor)."""
    found: list[Activity] = []
    for fact in facts:
        if not isinstance(fact, ResolvedEvent):
            continue
        event = fact.event
        if isinstance(event, CommunicationLoggedEvent | FeedbackGivenEvent):
            activity = event_activity(event, rules, (aliases or {}).get(fact.lead_id, fact.lead_id))
            if activity is not None:
                found.append(activity)
    return list(newest(found).values())


@dataclass(frozen=True, slots=True)
class RepMonth:
    """A rep's points in one calendar month, with the breakdown per rule."""

    owner: str
    month: str
    by_rule: dict[str, float]
    counts: dict[str, int]

    @property
    def total(self) -> float:
        """Every rule's points together."""
        return sum(self.by_rule.values())


def monthly_points(activities: Iterable[Activity], tz: tzinfo) -> dict[tuple[str, str], RepMonth]:
    """Points per (owner, month `YYYY-MM` in `tz`), per rule; what the read model's query sums."""
    points: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for activity in newest(activities).values():
        key = (activity.owner, month_of(activity.occurred_at, tz))
        for rule, value in activity.awards.items():
            points[key][rule] += value
            counts[key][rule] += 1
    return {key: RepMonth(key[0], key[1], dict(points[key]), dict(counts[key])) for key in points}

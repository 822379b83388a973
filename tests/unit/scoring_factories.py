"""Small factories for scoring tests: events by type, a fold over a list, rules with overrides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from schemas.events import Event, parse_event
from scoring.model.engine import Emitted, apply
from scoring.model.rules import RuleSet, default_rules, parse_rules
from scoring.model.state import LeadState, new_lead

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_ids = count(1)


def at(days: float = 0, hours: float = 0) -> datetime:
    """A moment relative to the tests' epoch T0."""
    return T0 + timedelta(days=days, hours=hours)


def event(
    kind: str,
    properties: dict[str, Any] | None = None,
    *,
    when: datetime | None = None,
    event_id: str | None = None,
    identities: dict[str, str] | None = None,
) -> Event:
    """An envelope of the given type; ids are unique unless given."""
    data: dict[str, Any] = {
        "event_id": event_id or f"evt-{next(_ids)}",
        "type": kind,
        "channel": "website",
        "occurred_at": (when or T0).isoformat(),
        "received_at": (when or T0).isoformat(),
        "source": "tests",
        "identities": identities or {"anonymous_id": "anon-1"},
    }
    if properties is not None:
        data["properties"] = properties
    return parse_event(data)


def page(dwell: float, url: str = "https://example.com/blog/a", **kw: Any) -> Event:
    return event("page_viewed", {"url": url, "dwell_seconds": dwell}, **kw)


def video(percent: float = 80, seconds: float = 120, **kw: Any) -> Event:
    return event("video_watched", {"video_id": "v1", "percent": percent, "seconds": seconds}, **kw)


def download(kind: str, **kw: Any) -> Event:
    return event("asset_downloaded", {"asset_id": f"a-{kind}", "asset_kind": kind}, **kw)


def form(**kw: Any) -> Event:
    return event("form_submitted", {"form_id": "contact"}, **kw)


def demo(**kw: Any) -> Event:
    return event("demo_requested", **kw)


def stage(name: str, **kw: Any) -> Event:
    return event("sales_stage_changed", {"opportunity_id": "opp-1", "stage": name}, **kw)


def communication(
    *, need: bool = False, next_step: bool = False, referral: bool = False, **kw: Any
) -> Event:
    flags = {"need_identified": need, "next_step_agreed": next_step, "referral_obtained": referral}
    return event("communication_logged", {"communication_id": f"c-{next(_ids)}", **flags}, **kw)


def fold(
    events: Iterable[Event], rules: RuleSet | None = None, lead_id: str = "lead_test"
) -> tuple[LeadState, list[Emitted]]:
    """Apply events in order to a new lead; all emissions in order."""
    rules = rules or default_rules()
    state, emitted = new_lead(lead_id), []
    for item in events:
        state, out = apply(state, item, rules)
        emitted += out
    return state, emitted


RULES_HEAD = 'version: "t1"\n'


def rules_from(body: str) -> RuleSet:
    """A rule set from a YAML body (the version line is added)."""
    return parse_rules(RULES_HEAD + body, source="test.yaml")

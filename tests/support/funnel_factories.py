"""Small factories of the contracts the funnel projector reads (resolved events, scores, …)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from schemas.events import Event, parse_event
from schemas.outgoing import (
    LeadDemoted,
    LeadPromoted,
    LeadsMerged,
    ResolvedEvent,
    ScoreChanged,
    Tier,
)
from tests.support.helpers import days_from

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


day = days_from(T0)


def event(
    type_: str,
    at: datetime,
    *,
    channel: str = "website",
    campaign: str | None = None,
    properties: dict[str, Any] | None = None,
    identities: dict[str, str] | None = None,
    event_id: str | None = None,
) -> Event:
    """An incoming envelope of the given type."""
    data: dict[str, Any] = {
        "event_id": event_id or f"ev-{next(_ids)}",
        "type": type_,
        "channel": channel,
        "occurred_at": at.isoformat(),
        "received_at": at.isoformat(),
        "source": "test",
        "identities": identities or {"anonymous_id": "anon-1"},
        "properties": properties or {},
    }
    if campaign is not None:
        data["campaign"] = campaign
    return parse_event(data)


def page_view(lead_id: str, at: datetime, **kwargs: Any) -> ResolvedEvent:
    """A resolved page view."""
    return ResolvedEvent(
        lead_id=lead_id, event=event("page_viewed", at, properties={"url": "/pricing"}, **kwargs)
    )


def stage_change(
    lead_id: str,
    opportunity_id: str,
    stage: str,
    at: datetime,
    *,
    owner: str | None = None,
    lost_reason: str | None = None,
    amount: float | None = None,
    event_id: str | None = None,
) -> ResolvedEvent:
    """A resolved CRM sales-stage change."""
    properties: dict[str, Any] = {"opportunity_id": opportunity_id, "stage": stage}
    for name, value in (("owner", owner), ("lost_reason", lost_reason), ("amount", amount)):
        if value is not None:
            properties[name] = value
    return ResolvedEvent(
        lead_id=lead_id,
        event=event(
            "sales_stage_changed",
            at,
            channel="crm",
            properties=properties,
            identities={"crm_lead_id": f"crm-{lead_id}"},
            event_id=event_id,
        ),
    )


def communication(
    lead_id: str, at: datetime, *, effective: bool, owner: str = "li", comm_id: str | None = None
) -> ResolvedEvent:
    """A resolved CRM communication, effective when a next step was agreed."""
    return ResolvedEvent(
        lead_id=lead_id,
        event=event(
            "communication_logged",
            at,
            channel="crm",
            properties={
                "communication_id": comm_id or f"comm-{next(_ids)}",
                "kind": "call",
                "owner": owner,
                "next_step_agreed": effective,
            },
            identities={"crm_lead_id": f"crm-{lead_id}"},
        ),
    )


def score(
    lead_id: str, value: float, at: datetime, tier: Tier = Tier.LEAD, **contributions: float
) -> ScoreChanged:
    """A score change with its per-rule contributions."""
    return ScoreChanged(
        lead_id=lead_id,
        score=value,
        previous_score=0,
        tier=tier,
        rule_version="v1",
        event_id=f"ev-{next(_ids)}",
        occurred_at=at,
        contributions=contributions or {"page_view": value},
    )


def promoted(lead_id: str, from_tier: Tier, to_tier: Tier, at: datetime) -> LeadPromoted:
    """A promotion across one tier bar."""
    return LeadPromoted(
        promotion_id=f"promo-{lead_id}-{to_tier.value}",
        lead_id=lead_id,
        from_tier=from_tier,
        to_tier=to_tier,
        score=50,
        rule_version="v1",
        reasons=["form_submitted", "video_watched x2"],
        trigger_event_id=f"ev-{next(_ids)}",
        occurred_at=at,
    )


def demoted(lead_id: str, from_tier: Tier, to_tier: Tier, at: datetime) -> LeadDemoted:
    """A demotion (decay) across one tier bar."""
    return LeadDemoted(
        demotion_id=f"demo-{lead_id}-{to_tier.value}",
        lead_id=lead_id,
        from_tier=from_tier,
        to_tier=to_tier,
        score=10,
        rule_version="v1",
        reasons=["decay"],
        occurred_at=at,
    )


def merged(survivor: str, merged_lead: str, at: datetime) -> LeadsMerged:
    """Two leads found to be one person."""
    return LeadsMerged(
        merge_id=f"merge-{merged_lead}",
        surviving_lead_id=survivor,
        merged_lead_id=merged_lead,
        linking_identities=["email:" + "a" * 64],
        trigger_event_id=f"ev-{next(_ids)}",
        occurred_at=at,
    )

"""The demo data set as the risk model's History, built in memory through ingest's contracts."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import lru_cache

from forecast.features import Contact, History, Stay
from funnel.intervals import stage_intervals
from funnel.rows import StageChangeRow
from schemas.events import CommunicationLoggedEvent, SalesStageChangedEvent
from tests.unit.demo_factories import NOW, as_ingested, dataset


@lru_cache(maxsize=4)
def demo_history(leads: int = 2000, seed: int = 42, now: datetime = NOW) -> History:
    """Stays, communications and lead activity of the demo data set, as the projector keeps them."""
    changes, contacts = [], []
    activity: dict[str, list[datetime]] = defaultdict(list)
    for post in dataset(leads=leads, seed=seed, now=now).posts:
        lead = f"lead-{post.lead}"
        event = as_ingested(post, now)
        match event:
            case SalesStageChangedEvent(properties=p):
                changes.append(
                    StageChangeRow(
                        event.event_id,
                        p.opportunity_id,
                        lead,
                        p.stage,
                        p.previous_stage,
                        p.owner,
                        p.amount,
                        p.currency,
                        p.lost_reason,
                        event.occurred_at,
                    )
                )
            case CommunicationLoggedEvent(properties=p):
                contacts.append(Contact(lead, p.opportunity_id, event.occurred_at, p.is_effective))
            case _ if post.body.get("channel") != "crm":
                activity[lead].append(post.occurred_at)
    stays = tuple(
        Stay(row.opportunity_id, row.lead_id or None, row.stage, row.entered_at, row.exited_at,
             row.outcome, row.owner, row.amount)
        for row in stage_intervals(changes)
    )  # fmt: skip
    return History(stays, tuple(contacts), {k: tuple(v) for k, v in activity.items()})

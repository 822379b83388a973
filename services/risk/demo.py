"""The demo data set as the risk model's History, built in memory through ingest's contracts
(what the projector would hold after `make demo`; tests/integration/test_risk.py checks it)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from demo.dataset import build_dataset
from demo.plan import DemoConfig, Post
from forecast.model.features import Contact, History
from funnel.model.intervals import stage_intervals
from funnel.model.rows import StageChangeRow
from schemas.events import CommunicationLoggedEvent, Event, SalesStageChangedEvent
from services.ingest.crm import CommunicationIn, StageChangeIn, crm_event
from services.ingest.envelope import Stamp
from services.ingest.native import native_event
from services.ingest.rejections import Rejection
from services.pii import PiiHasher
from services.settings import SALES_STAGES


def ingested(post: Post, stamp: Stamp) -> Event | Rejection:
    """What ingest makes of a demo record: the published event, or why it refused it."""
    body: dict[str, Any] = post.body
    match post.api:
        case "events":
            return native_event(body, stamp)
        case "stage_changes":
            return crm_event(body, StageChangeIn, stamp, SALES_STAGES)
        case _:
            return crm_event(body, CommunicationIn, stamp, SALES_STAGES)


def stage_change_row(event: SalesStageChangedEvent, lead_id: str) -> StageChangeRow:
    """The projector's row of a stage change, for the demo lead it belongs to."""
    p = event.properties
    return StageChangeRow(
        event.event_id, event.properties.opportunity_id, lead_id, p.stage, p.previous_stage,
        p.owner, p.amount, p.currency, p.lost_reason, event.occurred_at,
    )  # fmt: skip


def demo_history(leads: int, seed: int, now: datetime) -> History:
    """Stays, communications and lead activity of the demo data set (lead ids `lead-<n>`)."""
    stamp = Stamp(now, "demo", PiiHasher("demo-risk"))
    changes, contacts = [], []
    activity: dict[str, list[datetime]] = defaultdict(list)
    for post in build_dataset(DemoConfig(leads=leads, seed=seed), now).posts:
        lead = f"lead-{post.lead}"
        match ingested(post, stamp):
            case SalesStageChangedEvent() as event:
                changes.append(stage_change_row(event, lead))
            case CommunicationLoggedEvent(properties=p) as event:
                contacts.append(Contact(lead, p.opportunity_id, event.occurred_at, p.is_effective))
            case _ if post.body.get("channel") != "crm":
                activity[lead].append(post.occurred_at)
    stays = tuple(stage_intervals(changes))
    return History(stays, tuple(contacts), {k: tuple(v) for k, v in activity.items()})

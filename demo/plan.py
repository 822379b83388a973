"""The demo's output: records to post to the public APIs, in event-time order, and what each is."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

Api = Literal["events", "stage_changes", "communications"]
# Paths of the public ingest APIs each kind of record goes to (docs/ingest.md).
API_PATHS: dict[Api, str] = {
    "events": "/v1/events/batch",
    "stage_changes": "/v1/crm/stage-changes",
    "communications": "/v1/crm/communications",
}


@dataclass(frozen=True, slots=True)
class Post:
    """One record for one public API; `lead` is the demo lead it belongs to (for tests)."""

    api: Api
    occurred_at: datetime
    body: dict[str, Any]
    lead: int

    @property
    def event_id(self) -> str:
        """The record's id; retries and re-runs reuse it, so nothing is counted twice."""
        return str(self.body["event_id"])


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """How big the data set is, how far back it reaches, and the seed that fixes it."""

    leads: int = 3000  # about 280 opportunities: enough history for the churn-risk model
    seed: int = 42
    now: datetime | None = None  # None: the feed uses the current time
    days: float = 120.0

    def start(self, now: datetime) -> datetime:
        """When the earliest lead may first be seen."""
        return now - timedelta(days=self.days)


@dataclass(slots=True)
class Trail:
    """One lead's records as they are generated; nothing later than `now` is kept."""

    lead: int
    seed: int
    now: datetime
    rng: random.Random
    tag: str = "b"  # behaviour; the CRM's records of the lead use their own numbering
    posts: list[Post] = field(default_factory=list)
    issued: int = 0

    def add(self, api: Api, at: datetime, body: dict[str, Any]) -> bool:
        """Append a record at `at`; False when `at` is in the future (its number is used anyway,
        so ids stay the same whatever `now` cuts off)."""
        self.issued += 1
        if at >= self.now:
            return False
        event_id = f"demo{self.seed}-{self.lead:05d}-{self.tag}{self.issued:03d}"
        stamped = {"event_id": event_id, "occurred_at": at.isoformat(), **body}
        self.posts.append(Post(api, at, stamped, self.lead))
        return True

    def event(
        self,
        at: datetime,
        kind: str,
        channel: str,
        identities: dict[str, str],
        properties: dict[str, Any] | None = None,
        campaign: str | None = None,
    ) -> bool:
        """A native behaviour event (our envelope) on one channel."""
        body: dict[str, Any] = {"type": kind, "channel": channel, "identities": dict(identities)}
        if properties is not None:
            body["properties"] = properties
        if campaign is not None:
            body["campaign"] = campaign
        return self.add("events", at, body)

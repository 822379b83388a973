"""Small helpers the demo tests share: a fixed data set and its records as ingest sees them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from demo.dataset import Dataset, build_dataset
from demo.plan import DemoConfig, Post
from schemas.events import Event
from services.ingest.crm import CommunicationIn, StageChangeIn, crm_event
from services.ingest.envelope import Stamp
from services.ingest.native import native_event
from services.ingest.rejections import Rejection
from services.pii import PiiHasher
from services.settings import SALES_STAGES

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@lru_cache(maxsize=4)
def dataset(leads: int = 600, seed: int = 42, now: datetime = NOW) -> Dataset:
    """The demo data set, built once per test session for each size and seed."""
    return build_dataset(DemoConfig(leads=leads, seed=seed), now)


def as_ingested(
    post: Post, now: datetime = NOW, pii_secret: str = "test-secret"
) -> Event | Rejection:
    """What ingest makes of a record: the published event, or why it refused it."""
    stamp = Stamp(now, "demo", PiiHasher(pii_secret))
    body: dict[str, Any] = post.body
    match post.api:
        case "events":
            return native_event(body, stamp)
        case "stage_changes":
            return crm_event(body, StageChangeIn, stamp, SALES_STAGES)
        case _:
            return crm_event(body, CommunicationIn, stamp, SALES_STAGES)

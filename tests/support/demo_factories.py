"""Small helpers the demo tests share: a fixed data set and its records as ingest sees them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from demo.dataset import Dataset, build_dataset
from demo.plan import DemoConfig, Post
from schemas.events import Event
from services.ingest.envelope import Stamp
from services.ingest.rejections import Rejection
from services.pii import PiiHasher
from services.risk.demo import ingested

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@lru_cache(maxsize=4)
def dataset(leads: int = 600, seed: int = 42, now: datetime = NOW) -> Dataset:
    """The demo data set, built once per test session for each size and seed."""
    return build_dataset(DemoConfig(leads=leads, seed=seed), now)


def as_ingested(
    post: Post, now: datetime = NOW, pii_secret: str = "test-secret"
) -> Event | Rejection:
    """What ingest makes of a record: the published event, or why it refused it."""
    return ingested(post, Stamp(now, "demo", PiiHasher(pii_secret)))

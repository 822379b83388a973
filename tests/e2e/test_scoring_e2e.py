"""The whole system: events posted to ingest are scored by the worker `make run` starts, and the
promotion reaches both the promotions topic and the query API's read model."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from schemas.outgoing import LeadPromoted, Tier
from services.settings import DEV_READ_TOKEN, DEV_WRITE_KEY
from tests.e2e.conftest import RunningSystem
from tests.integration.scoring_fixtures import OutputReader


async def test_a_demo_request_posted_to_ingest_becomes_an_sql_in_kafka_and_in_the_query_api(
    running_system: RunningSystem,
) -> None:
    visitor = {"anonymous_id": f"e2e-{uuid.uuid4().hex[:8]}"}
    ids = [f"e2e-{uuid.uuid4().hex}" for _ in range(2)]
    t0 = datetime.now(UTC) - timedelta(minutes=10)
    events = [
        {"type": "page_viewed", "properties": {"url": "https://x.cn/pricing", "dwell_seconds": 70}},
        {"type": "demo_requested"},
    ]
    with httpx.Client(base_url=running_system.ingest_url, auth=(DEV_WRITE_KEY, "")) as ingest:
        for n, (event_id, body) in enumerate(zip(ids, events, strict=True)):
            at = (t0 + timedelta(minutes=n)).isoformat()
            answer = ingest.post(
                "/v1/events",
                json={
                    "event_id": event_id,
                    "channel": "website",
                    "occurred_at": at,
                    "identities": visitor,
                    **body,
                },
            )
            assert answer.status_code == 200, answer.text

    def ours(promotions: list[LeadPromoted]) -> list[LeadPromoted]:
        """This visitor's promotions (other tests share the topics), each id once."""
        unique = {p.promotion_id: p for p in promotions if p.trigger_event_id in ids}
        return list(unique.values())

    async with OutputReader(running_system.settings) as reader:
        outputs = await reader.until(
            lambda o: any(p.to_tier is Tier.SQL for p in ours(o.promotions)), timeout=90
        )
    (promoted,) = ours(outputs.promotions)
    assert (promoted.from_tier, promoted.to_tier, promoted.reasons) == (
        Tier.LEAD,
        Tier.SQL,
        ["demo_requested >= 1"],
    )

    headers = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
    deadline, lead = time.monotonic() + 60, None
    with httpx.Client(base_url=running_system.query_url, headers=headers) as query:
        while time.monotonic() < deadline:
            answer = query.get(f"/v1/leads/{promoted.lead_id}")
            if answer.status_code == 200 and answer.json()["profile"]["tier"] == "sql":
                lead = answer.json()
                break
            await asyncio.sleep(0.5)
    assert lead is not None, "the projector never showed the promotion"
    assert lead["score"]["score"] == promoted.score
    assert [change["transition_id"] for change in lead["tier_history"]] == [promoted.promotion_id]

"""The whole system: events posted to ingest are scored by the worker `make run` starts, and the
promotion reaches both the promotions topic and the query API's read model."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from demo.dataset import build_dataset
from demo.feed import feed, wait_ready
from demo.plan import DemoConfig
from schemas.outgoing import LeadPromoted, Tier
from scoring.model.clock import from_us
from scoring.model.replay import Replay
from scoring.model.rules import default_rules
from services.ingest.rejections import Rejection
from services.settings import DEV_READ_TOKEN, DEV_WRITE_KEY
from tests.e2e.conftest import RunningSystem
from tests.support.demo_factories import as_ingested
from tests.support.scoring_outputs import OutputReader


async def test_a_demo_request_posted_to_ingest_becomes_an_sql_in_kafka_and_in_the_query_api(
    running_system: RunningSystem,
) -> None:
    visitor = {"anonymous_id": f"e2e-{uuid.uuid4().hex[:8]}"}
    ids = [f"e2e-{uuid.uuid4().hex}" for _ in range(2)]
    t0 = datetime.now(UTC) - timedelta(minutes=10)
    events: list[dict[str, Any]] = [
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


async def test_every_lead_of_a_backfilled_demo_data_set_ends_in_the_tier_a_replay_gives(
    running_system: RunningSystem,
) -> None:
    """Months of history posted at once: arrival order is not event order, identity merges
    happen mid-stream, and still each of 600 leads ends where one process replaying the events
    in posting order puts it (demo seed 42 once left lead s42x00215 short of MQL), and reached
    MQL, SQL and Opportunity when its own timeline did (the tier funnel counts these: issue 15
    found 114 MQLs live where a replay gave 113)."""
    now = datetime.now(UTC)
    data = build_dataset(DemoConfig(leads=600, seed=42), now)
    secret = running_system.settings.pii_hmac_secret
    events = [as_ingested(post, now, secret) for post in data.posts]
    reference = Replay(default_rules()).feed_all(e for e in events if not isinstance(e, Rejection))
    expected = {lead_id: str(state.tier) for lead_id, state in reference.survivors().items()}
    assert len(expected) == 600
    expected_reach = {
        lead_id: {tier.value: from_us(us) for tier, us in state.reached.items()}
        for lead_id, state in reference.survivors().items()
    }
    assert 0 < sum(Tier.MQL.value in r for r in expected_reach.values()) < 600

    headers = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
    with (
        httpx.Client(auth=(DEV_WRITE_KEY, ""), timeout=30) as ingest,
        httpx.Client(base_url=running_system.query_url, headers=headers, timeout=10) as query,
    ):
        wait_ready(ingest, running_system.ingest_url, 30)
        assert not feed(ingest, running_system.ingest_url, data.posts).rejected

        def profiles() -> dict[str, dict[str, Any]]:
            found = {}
            for lead_id in expected:
                answer = query.get(f"/v1/leads/{lead_id}")
                if answer.status_code == 200:
                    found[lead_id] = answer.json()["profile"]
            return found

        def reach(profile: dict[str, Any]) -> dict[str, datetime]:
            shown = profile["reached"]
            tiers = (Tier.MQL.value, Tier.SQL.value, Tier.OPPORTUNITY.value)
            return {t: datetime.fromisoformat(shown[t]) for t in tiers if shown.get(t)}

        deadline, got, reached = time.monotonic() + 150, {}, {}
        while time.monotonic() < deadline:
            shown = profiles()
            got = {lead_id: profile["tier"] for lead_id, profile in shown.items()}
            reached = {lead_id: reach(profile) for lead_id, profile in shown.items()}
            if got == expected and reached == expected_reach:
                break
            await asyncio.sleep(3)
    wrong = {k: (got.get(k), want) for k, want in expected.items() if got.get(k) != want}
    assert not wrong, f"{len(wrong)} leads off (shown, replay): {dict(list(wrong.items())[:5])}"
    off = {
        k: (reached.get(k), want) for k, want in expected_reach.items() if reached.get(k) != want
    }
    assert not off, f"{len(off)} leads' reach times off (shown, timeline): {list(off.items())[:3]}"

"""Events posted over HTTP come back out of the query API: ingest → scoring → projector → API."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.settings import DEV_READ_TOKEN, DEV_WRITE_KEY
from tests.e2e.conftest import RunningSystem

READ = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
WRITE = httpx.BasicAuth(DEV_WRITE_KEY, "")


def _at(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()


def _wait_for(probe: Any, what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not seen within {timeout}s: {what}")


def test_crm_and_web_events_posted_over_http_show_up_in_the_funnel(
    running_system: RunningSystem,
) -> None:
    run = uuid.uuid4().hex[:8]
    crm_lead, owner, opportunity = f"crm-{run}", f"rep-{run}", f"opp-{run}"
    ingest = httpx.Client(base_url=running_system.ingest_url, auth=WRITE, timeout=10)
    query = httpx.Client(base_url=running_system.query_url, headers=READ, timeout=10)
    view = {
        "type": "page_viewed",
        "channel": "website",
        "occurred_at": _at(6),
        "campaign": f"spring-{run}",
        "identities": {"crm_lead_id": crm_lead, "anonymous_id": f"anon-{run}"},
        "properties": {"url": "https://example.cn/pricing", "dwell_seconds": 40},
    }
    stages = [
        {"crm_lead_id": crm_lead, "opportunity_id": opportunity, "stage": stage,
         "owner": owner, "occurred_at": _at(days_ago), "event_id": f"{run}-{stage}"}
        for stage, days_ago in (("first_contact", 5), ("needs_confirmed", 3), ("demo", 1))
    ]  # fmt: skip

    assert ingest.post("/v1/events", json=view).status_code == 200
    assert ingest.post("/v1/crm/stage-changes", json=stages).status_code == 200

    def our_lead() -> dict[str, Any] | None:
        items = query.get("/v1/leads", params={"owner": owner}).json()["items"]
        return items[0] if items else None

    lead_id = _wait_for(our_lead, f"a lead owned by {owner}")["lead_id"]

    def detail_with_every_stage() -> dict[str, Any] | None:
        lead: dict[str, Any] = query.get(f"/v1/leads/{lead_id}").json()
        return lead if len(lead["stage_history"]) == 3 else None

    lead = _wait_for(detail_with_every_stage, "three stays in the lead's stage history")
    assert [stay["stage"] for stay in lead["stage_history"]] == [
        "first_contact",
        "needs_confirmed",
        "demo",
    ]
    assert [stay["outcome"] for stay in lead["stage_history"]] == ["advanced", "advanced", None]
    assert lead["profile"]["first_channel"] == "website"
    assert f"crm:{crm_lead}" in {identity["identity"] for identity in lead["identities"]}
    stages_table = query.get("/v1/funnel/stages", params={"campaign": f"spring-{run}"}).json()
    entered = {row["stage"]: row["entered"] for row in stages_table["rows"]}
    assert (entered["first_contact"], entered["needs_confirmed"], entered["demo"]) == (1, 1, 1)

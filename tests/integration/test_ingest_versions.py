"""Schema versions 1 and 2 over HTTP: both accepted, both resolved by the real scoring worker."""

from __future__ import annotations

import httpx

from services.ingest import examples
from services.settings import Settings
from tests.integration.scoring_fixtures import (  # noqa: F401 (fixtures)
    WorkerProcess,
    scoring_settings,
    worker,
)
from tests.integration.test_scoring_pipeline import ingest  # noqa: F401 (a fixture)
from tests.support.scoring_outputs import OutputReader, Outputs


def _versions(outputs: Outputs) -> dict[str, int]:
    return {r["event"]["event_id"]: r["event"]["schema_version"] for r in outputs.resolved}


async def test_version_1_and_version_2_events_are_accepted_and_resolved(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
    ingest: httpx.Client,  # noqa: F811
) -> None:
    worker.start()
    v1_stage = {**examples.CRM_STAGE_CHANGE_V1, "stage": "won"}  # v1: no owner, no amount
    v2_won = examples.CRM_WON
    v1_talk = {"event_id": "talk-v1", "crm_lead_id": "L-2002", "communication_id": "t-1"}
    for path, body in (
        ("/v1/crm/stage-changes", v1_stage),
        ("/v1/crm/stage-changes", v2_won),
        ("/v1/crm/communications", v1_talk),
        ("/v1/crm/communications", examples.CRM_COMMUNICATION),
        ("/v1/events", examples.NATIVE_FEEDBACK),
    ):
        answer = ingest.post(path, json=body)
        assert answer.status_code == 200, (path, answer.text)

    no_owner = {k: v for k, v in examples.CRM_COMMUNICATION.items() if k != "owner"}
    refused = ingest.post("/v1/crm/communications", json={**no_owner, "event_id": "refused"})
    assert refused.status_code == 400, refused.text
    assert {k: refused.json()[k] for k in ("code", "pointer")} == {
        "code": "missing_field",
        "pointer": "/owner",
    }

    expected = {
        "crm-opp-78-1": 1,
        "crm-opp-77-6": 2,
        "talk-v1": 1,
        "crm-call-501": 2,
        "nps-2026-11-88": 2,
    }
    async with OutputReader(scoring_settings) as reader:
        outputs = await reader.until(
            lambda o: set(expected) <= set(_versions(o)), explain=lambda o: str(_versions(o))
        )
    assert _versions(outputs) == expected
    won = next(r for r in outputs.resolved if r["event"]["event_id"] == "crm-opp-77-6")
    assert won["event"]["properties"]["amount"] == 176000
    assert won["lead_id"]

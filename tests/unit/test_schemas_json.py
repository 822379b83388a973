"""The committed JSON Schema files are generated from the models and must not drift."""

from __future__ import annotations

import json

from jsonschema_rs import validator_for

from schemas.events import EVENT_TYPES
from schemas.generate import CONTRACTS, OUT, drift, render
from services.ingest import examples


def test_committed_schema_files_match_the_models() -> None:
    assert drift() == [], "JSON Schemas drifted from the models: run `make schemas` and commit"


def test_every_contract_has_a_committed_file() -> None:
    assert {path.stem for path in OUT.glob("*.json")} == set(CONTRACTS)


def test_rendering_is_deterministic() -> None:
    assert render("event") == render("event")


def test_event_schema_names_every_event_type() -> None:
    schema = json.loads((OUT / "event.json").read_text())
    assert set(schema["discriminator"]["mapping"]) == set(EVENT_TYPES)


def test_event_schema_rejects_raw_email_in_identities() -> None:
    validator = validator_for(json.loads((OUT / "event.json").read_text()))
    event = {
        "event_id": "e1",
        "type": "page_viewed",
        "channel": "website",
        "occurred_at": "2026-11-27T09:30:00Z",
        "received_at": "2026-11-27T09:30:01Z",
        "source": "dev",
        "identities": {"anonymous_id": "a1"},
        "properties": {"url": examples.SEGMENT_PAGE["properties"]["url"]},
    }
    assert validator.is_valid(event)
    assert not validator.is_valid({**event, "identities": {"email": "li.wei@example.cn"}})

"""Version 2 of the contract carries the sealed contact; version 1 events stay accepted."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from schemas.events import event_json, parse_event

SEALED = {"key_id": "k_" + "0" * 32, "ciphertext": "A" * 40, "company_index": ["ab" * 16]}
ENVELOPE: dict[str, Any] = {
    "event_id": "e-1",
    "type": "form_submitted",
    "channel": "website",
    "occurred_at": "2026-11-27T09:00:00Z",
    "received_at": "2026-11-27T09:00:01Z",
    "source": "tests",
    "identities": {"anonymous_id": "a-1"},
    "properties": {"form_id": "trial"},
}


def test_a_version_2_event_carries_its_sealed_contact_through_json() -> None:
    event = parse_event({**ENVELOPE, "schema_version": 2, "contact": SEALED})
    assert event.contact is not None and event.contact.key_id == SEALED["key_id"]
    assert parse_event(event_json(event)) == event


def test_version_1_events_without_contact_stay_accepted() -> None:
    assert parse_event(ENVELOPE).contact is None
    assert b'"contact"' not in event_json(parse_event(ENVELOPE))


def test_a_contact_on_a_version_1_event_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="schema version 2") as raised:
        parse_event({**ENVELOPE, "contact": SEALED})
    assert raised.value.errors()[0]["loc"][-1] == "contact"


@pytest.mark.parametrize(
    "bad",
    [
        {**SEALED, "key_id": "lead_1"},
        {**SEALED, "ciphertext": "not base64 url!"},
        {**SEALED, "name": "Zhang Wei"},  # nothing in clear rides along
    ],
)
def test_a_sealed_contact_is_only_a_key_id_a_ciphertext_and_tokens(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_event({**ENVELOPE, "schema_version": 2, "contact": bad})

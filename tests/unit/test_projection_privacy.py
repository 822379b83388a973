"""The projector's pure privacy step: sealed contact rows, erased leads left out of the fold."""

from __future__ import annotations

from funnel.model.privacy import contact_rows, erased_in, without_erased
from funnel.model.projection import Scored
from schemas.events import SealedContact
from schemas.outgoing import PersonErased, Tier
from tests.support.funnel_factories import day, merged, page_view, promoted, score

SEALED = SealedContact(key_id="k_" + "1" * 32, ciphertext="B" * 40, company_index=["t" * 32])


def _with_contact(lead_id: str) -> object:
    resolved = page_view(lead_id, day(1))
    event = resolved.event.model_copy(update={"schema_version": 2, "contact": SEALED})
    return resolved.model_copy(update={"event": event})


def test_each_sealed_contact_becomes_one_row_under_the_surviving_lead() -> None:
    facts = [_with_contact("L2"), page_view("L2", day(2))]
    (row,) = contact_rows(facts, {"L2": "L1"})  # type: ignore[arg-type]
    assert (row.lead_id, row.key_id, row.ciphertext) == ("L1", SEALED.key_id, SEALED.ciphertext)
    assert row.company_index == SEALED.company_index


def test_facts_about_erased_leads_or_their_survivors_are_left_out() -> None:
    erasure = PersonErased(erasure_id="era_1", lead_ids=["L1"], occurred_at=day(3))
    facts = [
        page_view("L1", day(1)),
        page_view("L9", day(1)),  # merged into L1 earlier: gone too
        Scored(score("L1", 10, day(1)), 3),
        promoted("L1", Tier.LEAD, Tier.MQL, day(1)),
        merged("L1", "L7", day(2)),
        page_view("L5", day(1)),
        erasure,
    ]
    erased = erased_in(facts)  # type: ignore[arg-type]
    kept = without_erased(facts, erased, {"L9": "L1"})  # type: ignore[arg-type]
    assert erased == {"L1"}
    assert kept == [facts[5]]


def test_without_erasures_only_the_erasure_facts_themselves_go() -> None:
    facts = [page_view("L5", day(1))]
    assert without_erased(facts, set(), {}) == facts

"""The scoring worker forgets an erased person: tombstone, no identity keys, later input dropped."""

from __future__ import annotations

import random

from schemas.outgoing import PersonErased
from scoring.model.decider import ERASED, Folder, Tables, erased, is_erased
from scoring.model.effects import Effects, Out, Overlay
from scoring.model.messages import ForgetLead, ScoreEvent, decode_input, encode
from scoring.model.resolving import Record
from scoring.model.rules import default_rules
from tests.unit.scoring_factories import T0, at, demo, form, page
from tests.unit.test_scoring_streaming import Memory, partition_of

RULES = default_rules()


def _erase(memory: Memory, lead_ids: list[str]) -> None:
    erasure = PersonErased(erasure_id="era_1", lead_ids=lead_ids, occurred_at=T0)
    fx = Effects()
    memory.folder.on_erasure(Record("erasures", 0, 0, erasure.model_dump_json().encode()), fx, T0)
    assert [(s.out, s.key) for s in fx.sends] == [(Out.LEAD_INPUTS, lead) for lead in lead_ids]
    memory.route(fx)
    while busy := [q for q, items in memory.queues.items() if items]:
        memory.step(*busy[0])


def test_an_erased_lead_keeps_only_a_tombstone_and_no_identity_keys() -> None:
    person = {"phone_hash": "a" * 64, "anonymous_id": "anon-1"}
    memory = Memory()
    memory.run(
        [form(identities=person, when=at(hours=1)), demo(identities=person)], random.Random(0)
    )
    (lead_id,) = memory.live()
    assert memory.leads[lead_id].score > 0 and memory.lead_identities[lead_id]

    _erase(memory, [lead_id])

    state = memory.leads[lead_id]
    assert is_erased(state) and state.score == 0 and not state.seen and not state.contributions
    assert memory.lead_identities[lead_id] == ()
    assert memory.live() == {}
    assert memory.published[-1] == (Out.LEAD_SCORES, lead_id, None)  # a tombstone: compacted away


def test_events_that_still_reach_an_erased_lead_are_dropped_not_scored() -> None:
    person = {"phone_hash": "b" * 64}
    memory = Memory()
    memory.run([form(identities=person, when=at(hours=1))], random.Random(0))
    (lead_id,) = memory.live()
    _erase(memory, [lead_id])
    published = len(memory.published)

    # a late event of the same phone: the identity table still names the erased lead
    memory.run([page(300, identities=person, when=at(hours=2))], random.Random(0))

    assert is_erased(memory.leads[lead_id])
    scored = [out for out, _, _ in memory.published[published:] if out is Out.LEAD_SCORES]
    assert scored == []


def test_an_event_forwarded_to_an_erased_lead_is_counted_and_dropped() -> None:
    folder, fx = Folder(RULES, sweep_min_change=1.0, nurture=False), Effects()
    leads = {"lead_a": erased("lead_a")}
    tables = Tables(Overlay(leads.get), Overlay({}.get), Overlay({}.get))
    event = page(30, identities={"anonymous_id": "x"})
    value = encode(ScoreEvent(lead_id="lead_a", event=event))
    folder.on_input(Record("lead_inputs", partition_of("lead_a"), 0, value), tables, fx, T0)
    assert fx.sends == [] and tables.leads.changed == {}
    assert fx.counts[("admission", ERASED)] == 1


def test_forget_lead_round_trips_as_a_lead_input() -> None:
    message = ForgetLead(lead_id="lead_x", erasure_id="era_2")
    assert decode_input(encode(message)) == message

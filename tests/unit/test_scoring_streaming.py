"""The worker's pure deciders (resolving, folding, due index); the topology simulated in memory."""

from __future__ import annotations

import random
from collections import deque
from datetime import timedelta

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.events import Event, event_json
from scoring.model.decider import Folder, Tables
from scoring.model.due import DueIndex
from scoring.model.effects import Effects, Out, Overlay
from scoring.model.messages import Handed, Handoff, ScoreEvent, SweepLeads, decode_input, encode
from scoring.model.replay import Replay
from scoring.model.resolving import Record, Resolver
from scoring.model.rules import default_rules
from scoring.model.state import LeadState
from tests.unit.scoring_factories import T0, at, demo, download, event, form, page, stage, video

RULES = default_rules()
PARTITIONS = 3


def partition_of(key: str) -> int:
    return sum(key.encode()) % PARTITIONS


class Memory:
    """Dict-backed tables and per-partition queues: the topology without Kafka."""

    def __init__(self, handoff: Handoff | None = None) -> None:
        self.identities: dict[str, str] = {}
        self.leads: dict[str, LeadState] = {}
        self.lead_identities: dict[str, tuple[str, ...]] = {}
        self.nurtured: dict[str, str] = {}
        self.queues: dict[tuple[str, int], deque[bytes]] = {}
        self.published: list[tuple[Out, str | None, bytes]] = []
        self.resolver = Resolver(partition_of, handoff)
        self.folder = Folder(RULES, sweep_min_change=1.0, nurture=True, handoff=handoff)

    def route(self, fx: Effects) -> None:
        for send in fx.sends:
            if send.out in (Out.HOPS, Out.LEAD_INPUTS):
                p = send.partition if send.partition is not None else partition_of(send.key or "")
                self.queues.setdefault((send.out.value, p), deque()).append(send.value)
            else:
                self.published.append((send.out, send.key, send.value))

    def step(self, topic: str, partition: int) -> None:
        value = self.queues[(topic, partition)].popleft()
        record, fx = Record(topic, partition, 0, value), Effects()
        if topic == "lead_inputs":
            tables = Tables(
                Overlay(self.leads.get),
                Overlay(self.lead_identities.get),
                Overlay(self.nurtured.get),
            )
            self.folder.on_input(record, tables, fx, T0)
            self.leads |= tables.leads.changed
            self.lead_identities |= tables.identities.changed
        else:
            identities = Overlay(self.identities.get)
            decide = self.resolver.on_raw if topic == "raw" else self.resolver.on_hop
            decide(record, identities, fx, T0)
            self.identities |= identities.changed
        self.route(fx)

    def run(self, raw: list[Event], rng: random.Random) -> None:
        for item in raw:
            key = item.identities.strongest() or ""
            self.queues.setdefault(("raw", partition_of(key)), deque()).append(event_json(item))
        while busy := [q for q, items in self.queues.items() if items]:
            self.step(*rng.choice(busy))

    def live(self) -> dict[str, LeadState]:
        return {k: v for k, v in self.leads.items() if v.merged_into is None}


def _person(n: int, start: int) -> list[Event]:
    """A visitor seen on the website, then WeChat, then an ad form linking WeChat to the phone."""
    web = {"anonymous_id": f"a{n}"}
    with_phone = {**web, "phone_hash": f"{n:064x}"}
    wechat = {"wechat_appid": "wx", "wechat_openid": f"o{n}"}
    ad = {**wechat, "phone_hash": f"{n:064x}", "ad_lead_id": f"ad{n}"}
    return [
        page(200, url="https://x.cn/pricing", identities=web, when=at(hours=start)),
        form(identities=with_phone, when=at(hours=start + 1)),
        event("wechat_subscribed", identities=wechat, when=at(hours=start + 2)),
        video(identities=wechat, when=at(hours=start + 3)),
        event(
            "ad_lead_submitted",
            {"platform": "tencent", "lead_id": f"ad{n}"},
            identities=ad,
            when=at(hours=start + 4),
        ),
        demo(identities=wechat, when=at(hours=start + 5)),
    ]


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_any_interleaving_of_partitions_ends_with_the_single_process_leads_and_scores(
    seed: int,
) -> None:
    raw = [e for n in range(3) for e in _person(n, start=n)]
    memory = Memory()
    memory.run(raw, random.Random(seed))
    reference = Replay(RULES).feed_all(raw)
    live = memory.live()
    assert sorted(live) == sorted(reference.survivors())
    for lead_id, state in reference.survivors().items():
        assert abs(live[lead_id].score - state.score) <= 0.011
        assert live[lead_id].tier == state.tier
        kinds = [key.split(":")[0] for key in memory.lead_identities[lead_id]]
        assert kinds == ["ad_lead", "anon", "phone", "wx_open"]  # one person, every channel


class CountingHandoff(Handoff):
    """A handoff that counts the score inputs it served."""

    hits = 0

    def take(self, value: bytes) -> Handed | None:
        found = super().take(value)
        self.hits += found is not None
        return found


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=8))
def test_the_handoff_of_parsed_events_changes_no_decision(seed: int, limit: int) -> None:
    raw = [e for n in range(3) for e in _person(n, start=n)]
    handoff = CountingHandoff(limit)
    plain, handed = Memory(), Memory(handoff)
    plain.run(raw, random.Random(seed))
    handed.run(raw, random.Random(seed))
    assert handoff.hits > 0  # some events were handed over, not parsed
    assert handed.leads == plain.leads
    assert handed.identities == plain.identities
    assert handed.lead_identities == plain.lead_identities
    assert handed.published == plain.published


def test_a_handed_over_score_input_is_scored_without_parsing_it_again() -> None:
    item = page(30, identities={"anonymous_id": "abc"})
    handoff = Handoff()
    keys = item.identities.keys()
    handoff.put(b"not what the topic holds", "lead_x", item, keys)  # only a hit can score this
    tables = Tables(Overlay({}.get), Overlay({}.get), Overlay({}.get))
    fx = Effects()
    folder = Folder(RULES, sweep_min_change=1.0, nurture=False, handoff=handoff)
    folder.on_input(Record("lead_inputs", 0, 0, b"not what the topic holds"), tables, fx, T0)
    assert tables.leads.changed["lead_x"].event_counts == {"page_viewed": 1}
    assert tables.identities.changed["lead_x"] == tuple(keys)
    assert handoff.take(b"not what the topic holds") is None  # taken once
    folder.on_input(Record("lead_inputs", 0, 1, b"not what the topic holds"), tables, fx, T0)
    assert [send.out for send in fx.sends].count(Out.DEAD_LETTERS) == 1  # parsed: not JSON


def test_the_handoff_keeps_the_newest_entries_only() -> None:
    item = page(30, identities={"anonymous_id": "abc"})
    handoff = Handoff(limit=2)
    for value in (b"1", b"2", b"3"):
        handoff.put(value, f"lead_{value.decode()}", item, ["anon:abc"])
    assert handoff.take(b"1") is None
    assert handoff.take(b"3") == Handed("lead_3", item, ["anon:abc"])


def test_only_an_event_resolved_to_a_local_lead_partition_is_handed_over() -> None:
    seen = set()
    for n in range(12):
        item = page(30, identities={"anonymous_id": f"v{n}"})
        handoff, fx = Handoff(), Effects()
        record = Record("raw", partition_of(f"anon:v{n}"), 0, event_json(item))
        Resolver(partition_of, handoff).on_raw(record, Overlay[str]({}.get), fx, T0)
        (score,) = [send for send in fx.sends if send.out is Out.LEAD_INPUTS]
        local = partition_of(score.key or "") == record.partition
        assert (handoff.take(score.value or b"") is not None) == local
        seen.add(local)
    assert seen == {True, False}


def test_an_event_whose_first_key_lives_elsewhere_hops_there_without_touching_the_table() -> None:
    item = page(30, identities={"anonymous_id": "abc"})
    key = "anon:abc"
    here = (partition_of(key) + 1) % PARTITIONS
    table, fx = Overlay[str]({}.get), Effects()
    Resolver(partition_of).on_raw(Record("raw", here, 5, event_json(item)), table, fx, T0)
    assert [(s.out, s.key) for s in fx.sends] == [(Out.HOPS, key)]
    assert table.changed == {}


def test_a_resolved_event_goes_to_the_public_topic_and_to_its_lead_once() -> None:
    item = page(30, identities={"anonymous_id": "abc"})
    table, fx = Overlay[str]({}.get), Effects()
    record = Record("raw", partition_of("anon:abc"), 0, event_json(item))
    Resolver(partition_of).on_raw(record, table, fx, T0)
    (lead_id,) = set(table.changed.values())
    assert [(s.out, s.key) for s in fx.sends] == [
        (Out.LEAD_EVENTS, lead_id),
        (Out.LEAD_INPUTS, lead_id),
    ]
    assert orjson.loads(fx.sends[0].value)["event"]["event_id"] == item.event_id
    assert decode_input(fx.sends[1].value) == ScoreEvent(lead_id=lead_id, event=item)


def test_a_resolved_stage_change_also_goes_to_sales_stages_under_its_opportunity() -> None:
    item = stage("demo", identities={"crm_lead_id": "crm-7"})
    table, fx = Overlay[str]({}.get), Effects()
    record = Record("raw", partition_of("crm:crm-7"), 0, event_json(item))
    Resolver(partition_of).on_raw(record, table, fx, T0)
    (lead_id,) = set(table.changed.values())
    assert [(s.out, s.key) for s in fx.sends] == [
        (Out.LEAD_EVENTS, lead_id),
        (Out.LEAD_INPUTS, lead_id),
        (Out.SALES_STAGES, "opp-1"),
    ]
    assert fx.sends[2].value == fx.sends[0].value  # the same ResolvedEvent, lead id included


def test_an_unparsable_raw_record_is_a_dead_letter_naming_the_field() -> None:
    fx = Effects()
    record = Record("raw", 0, 9, b'{"type": "page_viewed", "event_id": 1}')
    Resolver(partition_of).on_raw(record, Overlay[str]({}.get), fx, T0)
    (send,) = fx.sends
    letter = orjson.loads(send.value)
    assert (send.out, letter["offset"], letter["field"]) == (
        Out.DEAD_LETTERS,
        9,
        "/page_viewed/event_id",
    )


def _fold(memory: Memory, *messages: bytes) -> Effects:
    fx = Effects()
    for value in messages:
        tables = Tables(
            Overlay(memory.leads.get),
            Overlay(memory.lead_identities.get),
            Overlay(memory.nurtured.get),
        )
        memory.folder.on_input(Record("lead_inputs", 0, 0, value), tables, fx, T0)
        memory.leads |= tables.leads.changed
        memory.nurtured |= tables.nurtured.changed
    return fx


def test_a_redelivered_event_is_counted_as_a_duplicate_and_publishes_nothing() -> None:
    memory, message = Memory(), encode(ScoreEvent(lead_id="lead_a", event=demo()))
    first, again = _fold(memory, message), _fold(memory, message)
    assert {s.out for s in first.sends} == {Out.LEAD_SCORES, Out.PROMOTIONS}
    assert again.sends == [] and again.counts[("admission", "duplicate")] == 1


def test_sweeps_publish_crossings_and_real_drops_only_and_nurture_once_per_period() -> None:
    memory = Memory()
    buyer = [
        download("price_list", when=at(-40)),
        download("price_list", when=at(-40, hours=1 / 60)),
    ]
    _fold(memory, *(encode(ScoreEvent(lead_id="lead_b", event=e)) for e in buyer))
    reader = page(40, url="https://x.cn/pricing", when=at(-20))
    _fold(memory, encode(ScoreEvent(lead_id="lead_r", event=reader)))
    sweep = encode(SweepLeads(now=T0, lead_ids=("lead_b", "lead_r", "lead_unknown")))
    first = _fold(memory, sweep)
    again = _fold(
        memory, encode(SweepLeads(now=T0 + timedelta(hours=1), lead_ids=("lead_b", "lead_r")))
    )
    assert sorted((s.out, s.key) for s in first.sends) == [
        (Out.LEAD_SCORES, "lead_b"),
        (Out.LEAD_SCORES, "lead_r"),
        (Out.NURTURE, "lead_r"),
        (Out.PROMOTIONS, "lead_b"),  # the demotion
    ]
    assert again.sends == []  # under a point of decay, same nurture period
    assert first.schedule == {"lead_b": True, "lead_r": True, "lead_unknown": False}


def test_the_due_index_hands_out_leads_once_when_due_and_spreads_a_seeded_table() -> None:
    index = DueIndex(every_us=100)
    index.schedule(0, "a", now_us=0)
    index.schedule(0, "a", now_us=50)  # already scheduled: unchanged
    index.schedule(1, "b", now_us=0, keep=False)
    assert index.pop_due(0, now_us=99, limit=10) == []
    assert index.pop_due(0, now_us=100, limit=10) == ["a"]
    assert index.pop_due(0, now_us=1_000, limit=10) == []
    index.seed(2, [f"lead{n}" for n in range(50)], now_us=0)
    assert 0 < len(index.pop_due(2, now_us=50, limit=100)) < 50
    index.forget([2])
    assert index.partitions() == {0, 1} and len(index) == 0

"""Identity resolution under any interleaving of per-key hops: deterministic and convergent."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.events import Event
from schemas.outgoing import LeadsMerged
from scoring.model.identity import Step, adopt, lead_id_for, reconcile, resolve, start, step
from tests.unit.scoring_factories import T0, event

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None)
IDENTITY_POOL = st.fixed_dictionaries(
    {},
    optional={
        "anonymous_id": st.sampled_from(["a1", "a2", "a3", "a4"]),
        "user_id": st.sampled_from(["u1", "u2"]),
        "phone_hash": st.sampled_from(["1" * 64, "2" * 64]),
        "wechat_openid": st.sampled_from(["o1", "o2"]),
        "crm_lead_id": st.sampled_from(["c1"]),
    },
).filter(bool)


@st.composite
def linked_events(draw: st.DrawFn) -> list[Event]:
    """Events carrying overlapping identities, at times that may tie."""
    out = []
    for index in range(draw(st.integers(1, 10))):
        when = T0 + timedelta(hours=draw(st.integers(0, 30 * 24)))
        identities = draw(IDENTITY_POOL)
        out.append(event("identify", when=when, event_id=f"i{index}", identities=identities))
    return out


class World:
    """The identity table plus the scoring stage's merge pointers (a union-find toward min)."""

    def __init__(self) -> None:
        self.table: dict[str, str] = {}
        self.merged_into: dict[str, str] = {}
        self.merges: list[LeadsMerged] = []

    def handle(self, merge: LeadsMerged) -> None:
        self.merges.append(merge)
        loser = merge.merged_lead_id
        if loser not in self.merged_into:
            self.merged_into[loser] = merge.surviving_lead_id
        elif (follow := reconcile(merge, self.merged_into[loser])) is not None:
            self.handle(follow)

    def root(self, lead_id: str) -> str:
        while lead_id in self.merged_into:
            lead_id = self.merged_into[lead_id]
        return lead_id

    def effective(self) -> dict[str, str]:
        return {key: self.root(lead) for key, lead in sorted(self.table.items())}


def run(evts: list[Event], schedule: list[int]) -> World:
    """Advance events hop by hop in the scheduled interleaving (each event's keys in order)."""
    world = World()
    hops = {i: start(e) for i, e in enumerate(evts)}
    remaining = {i: list(e.identities.keys()) for i, e in enumerate(evts)}
    for i in schedule:
        key = remaining[i].pop(0)
        outcome = step(hops[i], key, world.table.get(key), evts[i])
        hops[i] = outcome.hop
        if outcome.assignment is not None:
            world.table[key] = outcome.assignment
        if outcome.merge is not None:
            world.handle(outcome.merge)
    return world


def schedules(evts: list[Event]) -> st.SearchStrategy[list[int]]:
    slots = [i for i, e in enumerate(evts) for _ in e.identities.keys()]  # noqa: SIM118
    return st.permutations(slots)


def components(evts: list[Event]) -> list[tuple[set[str], list[Event]]]:
    """Keys linked by sharing an event, with the events of each group."""
    groups: list[tuple[set[str], list[Event]]] = []
    for e in evts:
        keys = set(e.identities.keys())
        touching = [g for g in groups if g[0] & keys]
        merged_keys = keys.union(*(g[0] for g in touching))
        merged_events = [e] + [x for g in touching for x in g[1]]
        groups = [g for g in groups if g not in touching] + [(merged_keys, merged_events)]
    return groups


@PROPERTY_SETTINGS
@given(evts=linked_events(), data=st.data())
def test_same_schedule_gives_the_same_assignments_and_merges(
    evts: list[Event], data: st.DataObject
) -> None:
    schedule = data.draw(schedules(evts))
    one, two = run(evts, schedule), run(evts, schedule)
    assert (one.table, one.merges) == (two.table, two.merges)


@PROPERTY_SETTINGS
@given(evts=linked_events(), data=st.data())
def test_any_interleaving_ends_with_the_same_leads(evts: list[Event], data: st.DataObject) -> None:
    first = run(evts, data.draw(schedules(evts)))
    second = run(evts, data.draw(schedules(evts)))
    assert first.effective() == second.effective()


@PROPERTY_SETTINGS
@given(evts=linked_events(), data=st.data())
def test_each_linked_group_is_one_lead_named_after_its_oldest_event(
    evts: list[Event], data: st.DataObject
) -> None:
    effective = run(evts, data.draw(schedules(evts))).effective()
    roots = []
    for keys, members in components(evts):
        assert {effective[key] for key in keys} == {min(start(e).lead_id for e in members)}
        roots.append(effective[next(iter(keys))])
    assert len(roots) == len(set(roots))


@PROPERTY_SETTINGS
@given(evts=linked_events())
def test_resolve_is_the_hops_run_back_to_back(evts: list[Event]) -> None:
    back_to_back = run(evts, [i for i, e in enumerate(evts) for _ in e.identities.keys()])  # noqa: SIM118
    world = World()
    for e in evts:
        resolution = resolve(e, world.table)
        world.table.update(resolution.assignments)
        for merge in resolution.merges:
            world.handle(merge)
    assert (world.table, world.merges) == (back_to_back.table, back_to_back.merges)


@PROPERTY_SETTINGS
@given(evts=linked_events(), data=st.data())
def test_adopting_the_first_keys_older_lead_is_the_full_step(
    evts: list[Event], data: st.DataObject
) -> None:
    """The resolver skips making a new lead's id where `adopt` answers: it must answer only
    where the full first step adopts the stored lead, and exactly as that step does."""
    first, *others = evts
    key = first.identities.keys()[0]
    stored = [start(e).lead_id for e in others] + [lead_id_for(key, first.occurred_at)]
    odd = ["lead_", "lead_0", "lead_x", "lead_" + "f" * 24, "Lead_1", ""]
    current = data.draw(st.one_of(st.none(), st.sampled_from(stored + odd)))
    adopted = adopt(current, first)
    if adopted is not None:
        assert step(start(first), key, current, first) == Step(hop=adopted)


def test_a_first_key_adopts_an_older_lead_without_a_new_id_and_defers_a_younger_one() -> None:
    then = event("identify", when=T0, event_id="e1", identities={"anonymous_id": "a1"})
    older, same = lead_id_for("anon:zz", T0 - timedelta(days=1)), lead_id_for("anon:zz", T0)
    younger = lead_id_for("anon:zz", T0 + timedelta(milliseconds=1))
    assert adopt(older, then) == step(start(then), "anon:a1", older, then).hop
    assert [adopt(lead, then) for lead in (None, same, younger)] == [None, None, None]

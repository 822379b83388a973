"""The pure projection fold: decoding, lead patches, merges, scores, tiers and stage intervals."""

from __future__ import annotations

import random

import orjson
from hypothesis import given
from hypothesis import strategies as st

from funnel.model.intervals import opportunity_intervals
from funnel.model.projection import (
    Fact,
    Rejected,
    Scored,
    Source,
    SourceRecord,
    decode,
    fold,
    resolve_aliases,
)
from funnel.model.rows import LeadPatch, RowChanges, StageChangeRow
from schemas.outgoing import ResolvedEvent, Tier
from tests.support.funnel_factories import (
    communication,
    day,
    demoted,
    merged,
    page_view,
    promoted,
    score,
    stage_change,
)


def record(source: Source, value: bytes | None, offset: int = 0) -> SourceRecord:
    return SourceRecord(source, f"t.{source.value}", 0, offset, value)


def merge_batches(batches: list[RowChanges]) -> dict[str, LeadPatch]:
    leads: dict[str, LeadPatch] = {}
    for changes in batches:
        for lead_id, patch in changes.leads.items():
            leads[lead_id] = leads[lead_id].merge(patch) if lead_id in leads else patch
    return leads


# --- decoding ----------------------------------------------------------------------------------


def test_each_topic_decodes_into_its_contract() -> None:
    view = page_view("L1", day(0))
    promo = promoted("L1", Tier.LEAD, Tier.MQL, day(1))
    demo = demoted("L1", Tier.MQL, Tier.LEAD, day(2))

    assert decode(record(Source.LEAD_EVENTS, view.model_dump_json().encode())) == view
    assert decode(record(Source.PROMOTIONS, promo.model_dump_json().encode())) == promo
    assert decode(record(Source.PROMOTIONS, demo.model_dump_json().encode())) == demo
    scored = decode(record(Source.SCORES, score("L1", 5, day(0)).model_dump_json().encode(), 7))
    assert isinstance(scored, Scored) and scored.offset == 7


def test_a_compacted_tombstone_projects_nothing() -> None:
    assert decode(record(Source.SCORES, None)) is None


def test_a_record_breaking_its_contract_is_rejected_naming_the_field() -> None:
    data = orjson.loads(page_view("L1", day(0)).model_dump_json())
    data["event"]["occurred_at"] = "yesterday"

    rejected = decode(record(Source.LEAD_EVENTS, orjson.dumps(data)))

    assert isinstance(rejected, Rejected)
    assert rejected.field is not None and rejected.field.endswith("/occurred_at")


def test_malformed_json_is_rejected_not_raised() -> None:
    assert isinstance(decode(record(Source.MERGES, b"{not json")), Rejected)


def test_the_stage_topic_takes_the_crm_envelope_and_rejects_other_event_types() -> None:
    change = stage_change("L1", "O1", "demo", day(0))
    bare = decode(record(Source.SALES_STAGES, change.event.model_dump_json().encode()))
    other = decode(
        record(Source.SALES_STAGES, page_view("L1", day(0)).event.model_dump_json().encode())
    )

    assert bare == change.event
    assert isinstance(other, Rejected) and "sales_stage_changed" in other.reason


# --- leads -------------------------------------------------------------------------------------


def test_first_touch_is_the_earliest_event_whatever_the_arrival_order() -> None:
    late = page_view("L1", day(3), channel="ads", campaign="spring")
    early = page_view("L1", day(1), channel="wechat", campaign="qr-expo")

    lead = fold([late, early], {}).leads["L1"]

    assert (lead.first_channel, lead.first_campaign, lead.first_seen_at) == (
        "wechat",
        "qr-expo",
        day(1),
    )
    assert lead.last_activity_at == day(3)


def test_only_effective_communication_counts_as_contact() -> None:
    changes = fold(
        [communication("L1", day(1), effective=True), communication("L1", day(5), effective=False)],
        {},
    )

    assert changes.leads["L1"].last_effective_contact_at == day(1)
    assert changes.leads["L1"].last_activity_at == day(5)
    assert sorted(c.is_effective for c in changes.communications.values()) == [False, True]


def test_the_latest_score_change_by_offset_sets_score_tier_and_breakdown() -> None:
    newer = Scored(score("L1", 40, day(1), Tier.MQL, form=30, video=10), offset=9)
    older = Scored(score("L1", 70, day(2), Tier.SQL), offset=3)  # later event time, older offset

    lead = fold([newer, older], {}).leads["L1"]

    assert (lead.score, lead.tier, lead.contributions) == (40, "mql", {"form": 30, "video": 10})


def test_promotion_to_sql_marks_mql_as_reached_too_and_demotion_keeps_history() -> None:
    changes = fold(
        [
            promoted("L1", Tier.LEAD, Tier.SQL, day(2)),
            demoted("L1", Tier.SQL, Tier.MQL, day(9)),
        ],
        {},
    )

    lead = changes.leads["L1"]
    assert (lead.mql_at, lead.sql_at, lead.opportunity_at) == (day(2), day(2), None)
    assert sorted(t.kind for t in changes.transitions.values()) == ["demoted", "promoted"]


def test_winning_a_deal_sets_won_at_and_owner() -> None:
    lead = fold([stage_change("L1", "O1", "won", day(4), owner="wang")], {}).leads["L1"]

    assert (lead.won_at, lead.owner, lead.lost_at) == (day(4), "wang", None)


# --- merges ------------------------------------------------------------------------------------


def test_alias_chains_resolve_to_the_final_survivor_and_loops_are_ignored() -> None:
    aliases = resolve_aliases(
        {"A": "B"}, [merged("C", "B", day(1)), merged("X", "Y", day(1)), merged("Y", "X", day(1))]
    )

    assert aliases["A"] == "C" and aliases["B"] == "C"
    assert "X" not in aliases or aliases["X"] != "X"


def test_events_of_a_merged_lead_land_on_the_survivor() -> None:
    changes = fold([page_view("A", day(1)), merged("B", "A", day(2))], {"A": "B"})

    assert set(changes.leads) == {"B"}
    assert {row.lead_id for row in changes.timeline.values()} == {"B"}
    assert changes.merges["A"].surviving_lead_id == "B"


def test_a_merged_leads_own_score_never_overrides_the_survivors() -> None:
    absorbed = LeadPatch("A", first_seen_at=day(0), first_event_id="e0", first_channel="ads")
    absorbed = absorbed.merge(LeadPatch("A", score=90, tier="sql", score_offset=50))
    changes = fold([Scored(score("A", 95, day(3)), offset=51)], {"A": "B"}, [absorbed])

    lead = changes.leads["B"]
    assert lead.score is None and lead.score_offset is None
    assert (lead.first_channel, lead.first_seen_at) == ("ads", day(0))


# --- order independence ------------------------------------------------------------------------

facts_strategy = st.permutations(
    [
        page_view("L1", day(2), channel="ads"),
        page_view("L1", day(1), channel="wechat"),
        communication("L1", day(3), effective=True, owner="li"),
        stage_change("L1", "O1", "first_contact", day(4), owner="wang"),
        stage_change("L1", "O1", "won", day(9)),
        promoted("L1", Tier.LEAD, Tier.MQL, day(2)),
        promoted("L1", Tier.MQL, Tier.OPPORTUNITY, day(5)),
        Scored(score("L1", 10, day(1)), offset=1),
        Scored(score("L1", 60, day(5), Tier.OPPORTUNITY), offset=2),
    ]
)


@given(facts_strategy, st.integers(1, 4), st.randoms())
def test_any_split_into_batches_in_any_order_gives_the_same_lead(
    facts: list[Fact], batches: int, rng: random.Random
) -> None:
    cuts = sorted(rng.sample(range(1, len(facts)), batches - 1))
    parts = [facts[a:b] for a, b in zip([0, *cuts], [*cuts, len(facts)], strict=True)]

    split = merge_batches([fold(part, {}) for part in parts])["L1"]

    assert split == fold(sorted(facts, key=repr), {}).leads["L1"]
    assert (split.first_channel, split.owner, split.score) == ("wechat", "wang", 60)


def _patch(first: int | None, seen: int | None, offset: int | None, mql: int | None) -> LeadPatch:
    # payloads follow from their keys, as in a log: one event id, one channel; a score change
    # at an even offset carries reach times (exact, maybe "not reached"), an odd one predates
    # them; a patch without a score is a promotion's
    exact = offset is not None and offset % 2 == 0
    reach = (None if offset % 4 == 0 else day(offset)) if exact and offset is not None else None
    return LeadPatch(
        "L",
        first_seen_at=None if first is None else day(first),
        first_event_id=None if first is None else f"e{first}",
        first_channel=None if first is None else ("ads", "wechat")[first % 2],
        last_activity_at=None if seen is None else day(seen),
        score=None if offset is None else offset * 10.0,
        score_offset=offset,
        reach_offset=offset if exact else None,
        mql_at=reach if exact else None if mql is None else day(mql),
        sql_at=reach if exact else None,
    )


maybe = st.none() | st.integers(0, 5)
patches = st.builds(_patch, maybe, maybe, maybe, maybe)


@given(patches, patches, patches)
def test_lead_patch_merge_is_commutative_and_associative(
    a: LeadPatch, b: LeadPatch, c: LeadPatch
) -> None:
    assert a.merge(b) == b.merge(a)
    assert a.merge(b).merge(c) == a.merge(b.merge(c))


def test_reach_times_of_the_latest_score_change_replace_the_promotions() -> None:
    transient = LeadPatch("L", mql_at=day(3))  # a promotion decided before a late event came in
    exact = LeadPatch("L", score=10.0, score_offset=7, reach_offset=7)  # never reached
    assert transient.merge(exact).mql_at is None
    later = LeadPatch("L", score=40.0, score_offset=9, reach_offset=9, mql_at=day(5))
    assert transient.merge(later).merge(exact).mql_at == day(5)
    older_format = LeadPatch("L", score=10.0, score_offset=11)  # a record without reach times
    assert transient.merge(older_format).mql_at == day(3)
    assert transient.merge(exact).merge(older_format).mql_at is None  # reach times stay


# --- stage intervals ---------------------------------------------------------------------------


def change(stage: str, at: float, event_id: str, **kwargs: object) -> StageChangeRow:
    fields: dict[str, object] = {
        "lead_id": None,
        "previous_stage": None,
        "owner": None,
        "amount": None,
        "currency": None,
        "lost_reason": None,
    }
    fields.update(kwargs)
    return StageChangeRow(event_id, "O1", stage=stage, occurred_at=day(at), **fields)  # type: ignore[arg-type]


def test_stage_changes_fold_into_stays_with_outcomes_and_lost_reasons() -> None:
    stays = opportunity_intervals(
        [
            change("demo", 3, "e3", lost_reason="ignored"),
            change("first_contact", 0, "e1", owner="li", lead_id="L1"),
            change("first_contact", 1, "e2", amount=120.0),  # re-post: not a move
            change("lost", 10, "e4", lost_reason="price"),
        ]
    )

    first, demo = stays
    assert (first.stage, first.entered_at, first.exited_at, first.outcome) == (
        "first_contact",
        day(0),
        day(3),
        "advanced",
    )
    assert (first.amount, first.lost_reason, first.seq) == (120.0, None, 0)
    assert (demo.outcome, demo.lost_reason, demo.owner, demo.next_stage) == (
        "lost",
        "price",
        "li",
        "lost",
    )
    assert {stay.lead_id for stay in stays} == {"L1"}


def test_won_closes_the_stay_and_opens_none() -> None:
    stays = opportunity_intervals([change("first_contact", 0, "e1"), change("won", 2, "e2")])

    assert [(s.stage, s.outcome, s.exited_at) for s in stays] == [("first_contact", "won", day(2))]


def test_changes_at_the_same_instant_are_ordered_by_event_id() -> None:
    same_time = [change("demo", 1, "b"), change("first_contact", 1, "a")]

    assert [s.stage for s in opportunity_intervals(same_time)] == ["first_contact", "demo"]
    assert opportunity_intervals(same_time) == opportunity_intervals(list(reversed(same_time)))


def test_a_resolved_stage_change_and_its_bare_copy_keep_the_lead() -> None:
    resolved = stage_change("L1", "O1", "demo", day(1))
    assert isinstance(resolved, ResolvedEvent)

    changes = fold([resolved, resolved.event], {})
    reverse = fold([resolved.event, resolved], {})

    assert changes.stage_changes == reverse.stage_changes
    assert next(iter(changes.stage_changes.values())).lead_id == "L1"


def test_a_batch_locks_its_leads_and_opportunities_and_merges_lock_their_survivors() -> None:
    from funnel.model.projection import survivor_keys, touched_keys
    from tests.support.funnel_factories import stage_change

    facts = [page_view("L1", day(0)), stage_change("L2", "O7", "demo", day(1))]
    assert touched_keys(facts) == {"lead:L1", "lead:L2", "opportunity:O7"}
    assert survivor_keys({"L9": "L1"}) == {"lead:L1"}

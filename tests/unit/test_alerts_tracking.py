"""The stale detector's fold: records decoded into signals, leads tracked, sweeps at event time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.model.schedule import last_closed_month, previous_month
from alerts.model.signals import Interaction, Source, StageMoved, TierChanged, decode, resolve
from alerts.model.stale import StaleConfig
from alerts.model.tracking import TrackedLead, fold, new_lead, sweep
from schemas.outgoing import AlertKind, Tier
from tests.support.funnel_factories import (
    communication,
    event,
    merged,
    page_view,
    promoted,
    stage_change,
)
from tests.support.helpers import days_from

CONFIG = StaleConfig()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


day = days_from(T0)


def signals_of(source: Source, *messages: object) -> list:
    out: list = []
    for message in messages:
        decoded = decode(source, message.model_dump_json().encode())  # type: ignore[attr-defined]
        assert isinstance(decoded, list)
        out += decoded
    return out


def test_resolved_events_are_interactions_and_stage_changes_also_move_the_opportunity() -> None:
    (seen,) = signals_of(Source.LEAD_EVENTS, page_view("L1", day(0)))
    assert seen == Interaction("L1", day(0))
    moved, touched = signals_of(Source.LEAD_EVENTS, stage_change("L1", "O1", "demo", day(1)))
    assert isinstance(moved, StageMoved) and (moved.lead_id, moved.stage) == ("L1", "demo")
    assert touched == Interaction("L1", day(1))
    (logged,) = signals_of(Source.LEAD_EVENTS, communication("L1", day(2), effective=False))
    assert logged == Interaction("L1", day(2), "li")


def test_a_crm_trait_sync_is_not_an_interaction() -> None:
    from schemas.outgoing import ResolvedEvent

    identify = ResolvedEvent(lead_id="L1", event=event("identify", day(0)))
    assert signals_of(Source.LEAD_EVENTS, identify) == []


def test_bad_records_are_rejected_with_a_reason_and_tombstones_carry_nothing() -> None:
    rejected = decode(Source.PROMOTIONS, b'{"kind": "lead_promoted"}')
    assert not isinstance(rejected, list) and "ValidationError" in rejected.reason
    assert decode(Source.LEAD_EVENTS, None) == []


def test_a_bare_crm_stage_change_takes_its_lead_from_a_resolved_copy_or_is_dropped() -> None:
    resolved = stage_change("L1", "O1", "first_contact", day(1), event_id="o1")
    bare = signals_of(Source.SALES_STAGES, resolved.event)
    assert isinstance(bare[0], StageMoved) and bare[0].lead_id is None
    in_batch = resolve(bare + signals_of(Source.LEAD_EVENTS, resolved), {})
    assert {s.lead_id for s in in_batch} == {"L1"}
    assert resolve(bare, {}) == []
    assert resolve(bare, {"O1": "L7"})[0].lead_id == "L7"  # type: ignore[union-attr]


def test_a_promoted_lead_left_alone_is_flagged_once_by_the_sweep_and_then_reactivated() -> None:
    batch = signals_of(Source.PROMOTIONS, promoted("L1", Tier.LEAD, Tier.MQL, day(0)))
    leads, alerts = fold({}, batch, CONFIG)
    assert alerts == [] and leads["L1"].due_at(CONFIG) == day(7)
    judged, (stale,) = sweep(leads.values(), day(8), CONFIG)
    assert stale.kind is AlertKind.LEAD_STALE and stale.occurred_at == day(7)
    assert judged[0].due_at(CONFIG) is None  # flagged: no further sweep needed this period
    assert sweep(judged, day(30), CONFIG)[1] == []
    leads, (back,) = fold({"L1": judged[0]}, [Interaction("L1", day(9))], CONFIG)
    assert back.kind is AlertKind.LEAD_REACTIVATED
    assert leads["L1"].due_at(CONFIG) == day(16)


def test_an_open_opportunity_keeps_a_plain_lead_active_until_it_is_won_or_lost() -> None:
    leads, _ = fold({}, [StageMoved("L1", "O1", "first_contact", day(0), "e1")], CONFIG)
    assert leads["L1"].activity.is_active
    leads, _ = fold(leads, [StageMoved("L1", "O1", "won", day(3), "e2")], CONFIG)
    assert not leads["L1"].activity.is_active and leads["L1"].due_at(CONFIG) is None


def test_an_older_stage_change_or_tier_change_does_not_undo_a_newer_one() -> None:
    leads, _ = fold({}, [StageMoved("L1", "O1", "lost", day(5), "e2")], CONFIG)
    leads, _ = fold(leads, [StageMoved("L1", "O1", "demo", day(1), "e1")], CONFIG)
    assert leads["L1"].opportunities["O1"].stage == "lost"
    leads, _ = fold(leads, [TierChanged("L1", day(6), Tier.SQL)], CONFIG)
    leads, _ = fold(leads, [TierChanged("L1", day(2), Tier.MQL)], CONFIG)
    assert leads["L1"].activity.tier is Tier.SQL


def test_signals_of_a_batch_apply_in_event_time_order_whatever_the_topic_order() -> None:
    batch = [
        Interaction("L1", day(10)),
        TierChanged("L1", day(0), Tier.MQL),
        Interaction("L1", day(2)),
    ]
    leads, alerts = fold({}, batch, CONFIG)
    assert [a.kind for a in alerts] == [AlertKind.LEAD_STALE, AlertKind.LEAD_REACTIVATED]
    assert fold({}, list(reversed(batch)), CONFIG) == (leads, alerts)


def test_a_merged_lead_hands_its_opportunities_to_the_survivor_and_stops_being_followed() -> None:
    leads, _ = fold({}, [StageMoved("L2", "O2", "demo", day(0), "e1")], CONFIG)
    merge = signals_of(Source.MERGES, merged("L1", "L2", day(1)))
    leads, _ = fold(leads, merge, CONFIG)
    assert "O2" in leads["L1"].opportunities and leads["L1"].activity.is_active
    assert not leads["L2"].activity.is_active and leads["L2"].due_at(CONFIG) is None


def test_per_tier_days_decide_when_a_lead_is_due() -> None:
    config = StaleConfig(days_by_tier={Tier.SQL: 3})
    leads, _ = fold({}, [TierChanged("L1", day(0), Tier.SQL)], config)
    assert leads["L1"].due_at(config) == day(3)
    assert new_lead("L9") == TrackedLead(new_lead("L9").activity)


@pytest.mark.parametrize(
    ("watermark", "month"),
    [
        (datetime(2024, 4, 2, 0, 0, 1, tzinfo=UTC), "2024-03"),
        (datetime(2024, 4, 1, 23, 59, tzinfo=UTC), "2024-02"),  # inside the 24 h grace
        (datetime(2024, 1, 5, tzinfo=UTC), "2023-12"),
    ],
)
def test_checks_judge_the_last_month_closed_a_grace_period_ago(
    watermark: datetime, month: str
) -> None:
    assert last_closed_month(watermark, timedelta(hours=24), UTC) == month
    assert previous_month("2024-01") == "2023-12"

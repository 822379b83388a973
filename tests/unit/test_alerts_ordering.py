"""The detector's event-time merge: alerts depend on the signals, not on how fetches split them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.model.ordering import Held, release
from alerts.model.signals import Interaction, Signal, StageMoved, TierChanged
from alerts.model.stale import StaleConfig
from alerts.model.tracking import TrackedLead, fold, fold_in_order
from schemas.outgoing import Alert, AlertKind, Tier
from tests.support.helpers import days_from

CONFIG = StaleConfig()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVENTS, PROMOTIONS, STAGES = ("lead_events", 0), ("promotions", 0), ("sales_stages", 0)
PARTITIONS = [EVENTS, PROMOTIONS, STAGES]
Partition = tuple[str, int]
Log = dict[Partition, list[Held]]


day = days_from(T0)


def log_of(**partitions: list[Signal | None]) -> Log:
    """Records in offset order per partition; None is a record without signals."""
    names = {"events": EVENTS, "promotions": PROMOTIONS, "stages": STAGES}
    return {
        names[name]: [Held(i, () if s is None else (s,)) for i, s in enumerate(records)]
        for name, records in partitions.items()
    }


def replay(log: Log, reads: list[tuple[int, int]]) -> tuple[dict[str, TrackedLead], list[Alert]]:
    """Read the log in the given (partition, count) fetches, then the rest; fold as released."""
    read = dict.fromkeys(PARTITIONS, 0)
    held: dict[Partition, list[Held]] = {}
    leads: dict[str, TrackedLead] = {}
    alerts: list[Alert] = []
    rest = [(i, len(log.get(p, []))) for i, p in enumerate(PARTITIONS)]
    for index, count in [*reads, *rest]:
        tp = PARTITIONS[index]
        records = log.get(tp, [])[read[tp] : read[tp] + count]
        read[tp] += len(records)
        held.setdefault(tp, []).extend(records)
        settled = {p for p in PARTITIONS if read[p] == len(log.get(p, []))}
        released = release(held, PARTITIONS, settled)
        held = released.held
        leads, raised = fold_in_order(leads, released.signals, CONFIG)
        alerts += raised
    assert held == {}, "everything is released once every partition is read to its end"
    return leads, alerts


def test_a_page_view_waits_for_a_promotion_topic_that_is_still_behind() -> None:
    log = log_of(
        events=[Interaction("L1", day(9))], promotions=[TierChanged("L1", day(0), Tier.MQL)]
    )
    waiting = release({EVENTS: log[EVENTS]}, PARTITIONS, {EVENTS, STAGES})
    assert waiting.signals == [] and waiting.positions == {}
    _, alerts = replay(log, [(0, 1)])  # the page view is read first, the promotion later
    assert [a.alert_id for a in alerts] == [
        f"{AlertKind.LEAD_STALE}:L1:{day(0).isoformat()}",
        f"{AlertKind.LEAD_REACTIVATED}:L1:{day(0).isoformat()}",
    ]


def test_records_without_signals_pass_at_once_and_free_their_offset() -> None:
    log = log_of(events=[None, Interaction("L1", day(1))])
    released = release(log, PARTITIONS, set())
    assert released.signals == [] and released.positions == {EVENTS: 1}


hours = st.integers(min_value=0, max_value=24 * 30).map(lambda h: T0 + timedelta(hours=h))
leads = st.sampled_from(["L1", "L2"])
interactions = st.builds(Interaction, leads, hours)
tier_changes = st.builds(TierChanged, leads, hours, st.sampled_from(list(Tier)))
stage_moves = st.builds(
    StageMoved,
    leads,
    st.sampled_from(["O1", "O2"]),
    st.sampled_from(["first_contact", "demo", "won", "lost"]),
    hours,
    st.uuids().map(str),
)


def partition(signals: st.SearchStrategy[Signal]) -> st.SearchStrategy[list[Signal | None]]:
    """A partition in event-time order, with a few records that carry nothing."""
    sorted_signals = st.lists(signals, max_size=8).map(lambda s: sorted(s, key=lambda x: x.at))
    return st.tuples(sorted_signals, st.lists(st.integers(0, 8), max_size=2)).map(
        lambda pair: _with_gaps(pair[0], pair[1])
    )


def _with_gaps(signals: list[Signal], gaps: list[int]) -> list[Signal | None]:
    records: list[Signal | None] = list(signals)
    for at in gaps:
        records.insert(min(at, len(records)), None)
    return records


logs = st.builds(
    lambda e, p, s: log_of(events=e, promotions=p, stages=s),
    partition(interactions),
    partition(tier_changes),
    partition(stage_moves),
)
fetches = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(logs, fetches, fetches)
def test_the_alerts_do_not_depend_on_how_the_topics_are_fetched(
    log: Log, one: list[tuple[int, int]], other: list[tuple[int, int]]
) -> None:
    assert replay(log, one) == replay(log, other) == replay(log, [])


@settings(max_examples=300, deadline=None)
@given(logs, fetches)
def test_any_fetch_order_raises_what_one_event_time_ordered_batch_raises(
    log: Log, reads: list[tuple[int, int]]
) -> None:
    everything = [s for records in log.values() for held in records for s in held.signals]
    _, in_one_batch = fold({}, everything, CONFIG)
    _, fetched = replay(log, reads)
    assert sorted(a.alert_id for a in fetched) == sorted(a.alert_id for a in in_one_batch)

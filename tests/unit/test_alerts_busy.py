"""'Busy but not advancing': the article's troubleshooting case, its thresholds and its alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from alerts.model.busy import (
    MOSTLY_INEFFECTIVE,
    STUCK_IN_FIRST_STAGE,
    BusyConfig,
    Communication,
    assess_owners,
    busy_alerts,
)
from funnel.model.periods import Period
from funnel.model.rows import StageIntervalRow
from funnel.model.stages import Outcome
from schemas.outgoing import AlertKind

MARCH = Period(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
END = MARCH.end


def contacts(
    owner: str, total: int, effective: int, start: datetime = MARCH.start
) -> list[Communication]:
    """`total` communications an hour apart, the first `effective` of them effective."""
    return [
        Communication(owner, start + timedelta(hours=n), is_effective=n < effective)
        for n in range(total)
    ]


def first_stage(owner: str, opportunity: str, days_before_end: float) -> StageIntervalRow:
    """An opportunity still in first contact, entered `days_before_end` days before 1 April."""
    return StageIntervalRow(
        opportunity, "first_contact", END - timedelta(days=days_before_end), owner=owner
    )


def test_the_articles_busy_rep_is_flagged_with_the_evidence() -> None:
    # 40 logged in March, 8 effective (20 %); five deals still in first contact for 15–30 days
    logged = contacts("zhao", 40, 8)
    stays = [first_stage("zhao", f"o{n}", 15 + n * 3.75) for n in range(5)]
    (zhao,) = assess_owners(logged, stays, MARCH)
    assert (zhao.communications, zhao.effective, zhao.share_effective) == (40, 8, 0.2)
    assert zhao.stuck_opportunities == ("o0", "o1", "o2", "o3", "o4")
    assert zhao.reasons == (MOSTLY_INEFFECTIVE, STUCK_IN_FIRST_STAGE)


def test_many_mostly_effective_communications_are_fine() -> None:
    (li,) = assess_owners(contacts("li", 30, 20), [], MARCH)
    assert li.reasons == ()
    assert not li.is_busy_not_advancing


def test_few_communications_are_not_busy_however_ineffective() -> None:
    (li,) = assess_owners(contacts("li", 19, 0), [], MARCH)
    assert li.reasons == ()


def test_half_effective_is_not_mostly_ineffective_but_just_under_half_is() -> None:
    (half,) = assess_owners(contacts("a", 20, 10), [], MARCH)
    (under,) = assess_owners(contacts("b", 20, 9), [], MARCH)  # 45 %
    assert (half.reasons, under.reasons) == ((), (MOSTLY_INEFFECTIVE,))


def test_only_communications_in_the_window_with_an_owner_count() -> None:
    logged = [
        *contacts("li", 5, 0, start=MARCH.start - timedelta(hours=5)),  # 29 Feb 19:00–23:00
        *contacts("li", 3, 1),
        Communication(None, MARCH.start, is_effective=False),
        Communication("li", END, is_effective=False),  # the end is exclusive
    ]
    (li,) = assess_owners(logged, [], MARCH)
    assert (li.communications, li.effective) == (3, 1)


def test_a_stay_counts_as_stuck_only_when_still_in_the_first_stage_beyond_the_limit() -> None:
    stays = [
        first_stage("li", "exactly-14", 14),  # not *beyond* 14 days
        first_stage("li", "over-14", 14.001),
        StageIntervalRow("left", "first_contact", END - timedelta(days=30),
                         END - timedelta(days=1), outcome=Outcome.ADVANCED, owner="li"),
        StageIntervalRow("left-later", "first_contact", END - timedelta(days=30),
                         END + timedelta(1), outcome=Outcome.ADVANCED, owner="li"),  # still there
        StageIntervalRow("demo", "demo", END - timedelta(days=30), owner="li"),
    ]  # fmt: skip
    (li,) = assess_owners(stays=stays, contacts=[], window=MARCH)
    assert li.stuck_opportunities == ("left-later", "over-14")
    assert li.reasons == ()  # two stuck, three needed
    config = BusyConfig(min_stuck=2)
    (li,) = assess_owners([], stays, MARCH, config=config)
    assert li.reasons == (STUCK_IN_FIRST_STAGE,)


def test_flagged_owners_raise_alerts_with_stable_ids_and_evidence() -> None:
    assessments = assess_owners(contacts("zhao", 40, 8) + contacts("li", 30, 20), [], MARCH)
    (alert,) = busy_alerts(assessments, MARCH, END)
    assert alert.alert_id == (
        "owner_not_advancing:zhao:2024-03-01T00:00:00+00:00/2024-04-01T00:00:00+00:00"
    )
    assert (alert.kind, alert.subject, alert.owner) == (
        AlertKind.OWNER_NOT_ADVANCING,
        "zhao",
        "zhao",
    )
    assert alert.details["share_effective"] == 0.2
    assert (alert.details["communications"], alert.details["effective"]) == (40, 8)
    assert alert.details["reasons"] == [MOSTLY_INEFFECTIVE]
    assert "8 of 40 communications effective" in alert.message


@given(st.integers(1, 60), st.integers(0, 60), st.integers(0, 40))
def test_more_ineffective_communications_never_clear_the_flag(
    total: int, effective_part: int, extra: int
) -> None:
    logged = contacts("a", total, min(effective_part, total))
    later = contacts("a", extra, 0, start=MARCH.start + timedelta(days=5))
    (before,) = assess_owners(logged, [], MARCH)
    (after,) = assess_owners(logged + later, [], MARCH)
    for assessment in (before, after):
        assert 0 <= assessment.effective <= assessment.communications
        share = assessment.share_effective
        assert share is not None and 0.0 <= share <= 1.0
    if MOSTLY_INEFFECTIVE in before.reasons:
        assert MOSTLY_INEFFECTIVE in after.reasons

"""Spend in the projection core: decoded from its topic, the latest posting per month wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from funnel.model.projection import Rejected, Source, SourceRecord, decode, fold
from schemas.events import Channel
from schemas.spend import SpendRecorded

AT = datetime(2026, 4, 1, tzinfo=UTC)


def _spend(amount: float, seconds: int = 0, source: str = "finance") -> SpendRecorded:
    at = AT + timedelta(seconds=seconds)
    return SpendRecorded.of(
        channel=Channel.ADS,
        campaign="spring",
        month="2026-03",
        amount=amount,
        currency="CNY",
        recorded_at=at,
        source=source,
    )


def _record(value: bytes | None) -> SourceRecord:
    return SourceRecord(Source.SPEND, "p.marketing.spend", 0, 7, value)


def test_spend_records_decode_and_bad_ones_are_rejected_naming_the_field() -> None:
    spend = _spend(10.0)
    assert decode(_record(spend.model_dump_json().encode())) == spend
    assert decode(_record(None)) is None
    negative = decode(_record(spend.model_dump_json().replace("10.0", "-1.0").encode()))
    other_month = decode(_record(spend.model_dump_json().replace("2026-03", "2026-04").encode()))
    assert isinstance(negative, Rejected) and negative.field == "/amount"
    assert isinstance(other_month, Rejected) and "spend_id" in other_month.reason


def test_a_later_posting_of_the_month_replaces_the_earlier_one() -> None:
    changes = fold([_spend(100.0, seconds=5), _spend(999.0, seconds=1)], {})
    [row] = changes.spend.values()
    assert (row.amount, row.recorded_at, row.campaign) == (
        100.0,
        AT + timedelta(seconds=5),
        "spring",
    )
    assert changes.row_count() == 1


POSTINGS = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
        st.integers(0, 3),
        st.sampled_from(["finance", "ads-bot"]),
    ),
    min_size=1,
    max_size=8,
)


@given(POSTINGS, st.randoms())
def test_the_same_postings_in_any_order_fold_to_the_same_row(
    postings: list[tuple[float, int, str]], random: object
) -> None:
    facts = [_spend(amount, seconds, source) for amount, seconds, source in postings]
    shuffled = list(facts)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    expected = max(facts, key=lambda f: (f.recorded_at, f.amount, f.source))
    for order in (facts, shuffled):
        [row] = fold(order, {}).spend.values()
        assert (row.recorded_at, row.amount, row.source) == (
            expected.recorded_at,
            expected.amount,
            expected.source,
        )

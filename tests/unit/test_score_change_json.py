"""The fold's score change (a msgspec struct) writes what the published contract model writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from schemas.outgoing import ScoreChanged, Tier
from scoring.model.crossings import ScoreChange

OFFSETS = [UTC, timezone(timedelta(hours=8)), timezone(-timedelta(hours=5, minutes=30))]
TIMES = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.sampled_from(OFFSETS))
IDS = st.text(min_size=1, max_size=40)  # any text: both must escape it alike
TIERS = st.sampled_from(list(Tier))


def changes(numbers: st.SearchStrategy[float]) -> st.SearchStrategy[ScoreChange]:
    return st.builds(
        ScoreChange,
        lead_id=IDS,
        score=numbers,
        previous_score=numbers,
        tier=TIERS,
        rule_version=IDS,
        event_id=IDS,
        occurred_at=TIMES,
        contributions=st.dictionaries(IDS, numbers, max_size=6),
        cause=st.sampled_from(["event", "decay", "merge"]),
        reached=st.dictionaries(TIERS, TIMES, max_size=4),
    )


def contract(change: ScoreChange) -> ScoreChanged:
    return ScoreChanged(**msgspec.structs.asdict(change))


BELOW_1E16 = st.floats(min_value=-9.9e15, max_value=9.9e15, allow_nan=False)


@given(changes(BELOW_1E16))
def test_a_score_change_is_the_bytes_the_contract_model_writes(change: ScoreChange) -> None:
    model = contract(change)
    assert change.to_json() == model.__pydantic_serializer__.to_json(model)


@given(changes(st.floats(allow_nan=False, allow_infinity=False)))
def test_any_number_reads_back_as_the_same_contract_value(change: ScoreChange) -> None:
    assert ScoreChanged.model_validate_json(change.to_json()) == contract(change)


def test_a_score_change_has_the_contract_fields_in_the_same_order() -> None:
    assert ScoreChange.__struct_fields__ == tuple(ScoreChanged.model_fields)

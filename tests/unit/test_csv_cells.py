"""CSV answers: a list cell parses back to exactly the JSON the API serves."""

from __future__ import annotations

import csv
import io

import orjson
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from services.query.csv_export import csv_response


class Reason(BaseModel):
    reason: str
    count: int


class Row(BaseModel):
    stage: str
    top_lost_reasons: list[Reason]


reasons = st.lists(
    st.builds(Reason, reason=st.text(max_size=30), count=st.integers(0, 10**6)), max_size=4
)


@given(st.text(max_size=20), reasons)
def test_lost_reasons_round_trip_through_csv(stage: str, lost: list[Reason]) -> None:
    row = Row(stage=stage, top_lost_reasons=lost)

    body = bytes(csv_response([row], ["stage", "top_lost_reasons"], "t").body).decode()

    (parsed,) = list(csv.DictReader(io.StringIO(body, newline="")))
    assert parsed["stage"] == stage
    assert (
        orjson.loads(parsed["top_lost_reasons"]) == row.model_dump(mode="json")["top_lost_reasons"]
    )


def test_a_reason_with_colons_and_semicolons_stays_one_reason() -> None:
    row = Row(
        stage="quote", top_lost_reasons=[Reason(reason="price: too high; maybe later", count=2)]
    )
    body = bytes(csv_response([row], ["stage", "top_lost_reasons"], "t").body).decode()
    (parsed,) = list(csv.DictReader(io.StringIO(body, newline="")))
    assert orjson.loads(parsed["top_lost_reasons"]) == [
        {"reason": "price: too high; maybe later", "count": 2}
    ]

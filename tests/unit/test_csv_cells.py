"""CSV answers: a list cell parses back to exactly the JSON the API serves."""

from __future__ import annotations

import csv
import io

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from services.query.csv_export import FORMULA_STARTS, csv_response


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

    body = bytes(csv_response([row], ["stage", "top_lost_reasons"], "t").body).decode("utf-8-sig")

    (parsed,) = list(csv.DictReader(io.StringIO(body, newline="")))
    assert parsed["stage"] == ("'" + stage if stage.startswith(FORMULA_STARTS) else stage)
    assert (
        orjson.loads(parsed["top_lost_reasons"]) == row.model_dump(mode="json")["top_lost_reasons"]
    )


def test_a_reason_with_colons_and_semicolons_stays_one_reason() -> None:
    row = Row(
        stage="quote", top_lost_reasons=[Reason(reason="price: too high; maybe later", count=2)]
    )
    body = bytes(csv_response([row], ["stage", "top_lost_reasons"], "t").body).decode("utf-8-sig")
    (parsed,) = list(csv.DictReader(io.StringIO(body, newline="")))
    assert orjson.loads(parsed["top_lost_reasons"]) == [
        {"reason": "price: too high; maybe later", "count": 2}
    ]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_cells_a_spreadsheet_would_run_as_formulas_stay_text(name: str) -> None:
    row = Row(stage=name, top_lost_reasons=[])
    body = bytes(csv_response([row], ["stage", "top_lost_reasons"], "t").body)

    assert body.startswith("\ufeff".encode())
    (parsed,) = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert parsed["stage"] == "'" + name


def test_plain_text_and_numbers_are_left_alone() -> None:
    row = Row(stage="需求确认 demo", top_lost_reasons=[])
    body = bytes(csv_response([row], ["stage"], "t").body).decode("utf-8-sig")
    assert body.splitlines()[1] == "需求确认 demo"

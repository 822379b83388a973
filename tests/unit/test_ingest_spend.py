"""Spend rows from JSON and CSV: every row a SpendRecorded, or one 400 naming row and field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.events import Channel
from schemas.spend import SpendRecorded, spend_id_of
from services.ingest.rejections import Rejection
from services.ingest.spend import csv_rows, json_rows, spend_records

AT = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)


def _from_json(rows: Any) -> list[SpendRecorded] | Rejection:
    unpacked = json_rows(rows)
    if isinstance(unpacked, Rejection):
        return unpacked
    return spend_records(unpacked, "", "CNY", AT, "finance")


def _from_csv(text: str, bom: bool = False) -> list[SpendRecorded] | Rejection:
    sheet = csv_rows((("\ufeff" if bom else "") + text).encode())
    if isinstance(sheet, Rejection):
        return sheet
    rows, lines = sheet
    return spend_records(rows, "/rows", "CNY", AT, "finance", lines)


def _rejection(result: object) -> Rejection:
    assert isinstance(result, Rejection), result
    return result


def test_json_rows_become_records_with_ids_of_channel_campaign_and_month() -> None:
    records = _from_json(
        [
            {"channel": "ads", "campaign": "spring", "month": "2026-03", "amount": 12000},
            {"channel": "wechat", "month": "2026-03", "amount": 3500.5, "currency": "cny"},
        ]
    )
    assert not isinstance(records, Rejection)
    ads, wechat = records
    assert ads.spend_id == spend_id_of(Channel.ADS, "spring", "2026-03")
    assert (ads.amount, ads.currency, ads.source, ads.recorded_at) == (
        12000.0,
        "CNY",
        "finance",
        AT,
    )
    assert wechat.campaign is None and wechat.currency == "CNY"  # defaulted / upper-cased
    assert wechat.spend_id != spend_id_of(Channel.WECHAT, "spring", "2026-03")


@pytest.mark.parametrize(
    ("row", "pointer", "code"),
    [
        ({"channel": "tv", "month": "2026-03", "amount": 1}, "/1/channel", "invalid_value"),
        ({"channel": "ads", "month": "2026-13", "amount": 1}, "/1/month", "invalid_value"),
        ({"channel": "ads", "month": "2026-3", "amount": 1}, "/1/month", "invalid_value"),
        ({"channel": "ads", "month": "2026-03", "amount": -1}, "/1/amount", "invalid_value"),
        ({"channel": "ads", "month": "2026-03", "amount": 1e13}, "/1/amount", "invalid_value"),
        ({"channel": "ads", "month": "2026-03", "amount": "lots"}, "/1/amount", "invalid_value"),
        ({"channel": "ads", "month": "2026-03"}, "/1/amount", "missing_field"),
        ({"channel": "ads", "month": "2026-03", "amount": 1, "cost": 2}, "/1/cost",
         "unknown_field"),
        ({"channel": "ads", "month": "2026-03", "amount": 1, "currency": "USD"}, "/1/currency",
         "invalid_value"),
        ("ads,2026-03,1", "/1", "invalid_value"),
    ],
)  # fmt: skip
def test_a_bad_row_refuses_the_request_naming_row_and_field(
    row: Any, pointer: str, code: str
) -> None:
    good = {"channel": "ads", "month": "2026-02", "amount": 10}
    rejection = _rejection(_from_json([good, row]))
    assert (rejection.pointer, rejection.code, rejection.status) == (pointer, code, 400)
    assert rejection.message.startswith(pointer)


def test_currency_other_than_the_reporting_one_is_refused_by_name() -> None:
    rejection = _rejection(_from_json([{"channel": "ads", "month": "2026-03", "amount": 1,
                                        "currency": "USD"}]))  # fmt: skip
    assert "CNY" in rejection.message and "USD" in rejection.message


def test_the_same_month_twice_in_one_request_is_refused() -> None:
    row = {"channel": "ads", "campaign": "spring", "month": "2026-03", "amount": 1}
    rejection = _rejection(_from_json([row, {**row, "amount": 2}]))
    assert rejection.pointer == "/1" and "row 0" in rejection.message


@pytest.mark.parametrize("body", [{}, [], "rows"])
def test_the_body_is_a_non_empty_array(body: Any) -> None:
    assert _rejection(_from_json(body)).pointer == ""


def test_csv_with_excels_bom_and_blank_trailing_lines_is_read() -> None:
    text = (
        "channel,campaign,month,amount,currency\r\n"
        "ads,春季搜索,2026-03,12000.50,CNY\r\n"
        "wechat,,2026/4,800,\r\n"
        "email,,2026/5/1,0,\r\n"
        ",,,,\r\n\r\n"
    )
    records = _from_csv(text, bom=True)
    assert not isinstance(records, Rejection)
    assert [(r.channel, r.campaign, r.month, r.amount) for r in records] == [
        (Channel.ADS, "春季搜索", "2026-03", 12000.5),
        (Channel.WECHAT, None, "2026-04", 800.0),
        (Channel.EMAIL, None, "2026-05", 0.0),
    ]


def test_csv_columns_may_come_in_any_order_and_campaign_currency_are_optional() -> None:
    records = _from_csv("Amount,Month,Channel\n5,2026-01,website\n")
    assert not isinstance(records, Rejection)
    assert [(r.channel, r.month, r.amount, r.currency) for r in records] == [
        (Channel.WEBSITE, "2026-01", 5.0, "CNY")
    ]


@pytest.mark.parametrize(
    ("text", "pointer", "line"),
    [
        ("channel,month,amount\nads,2026-01,1\nads,2026-02,1,000\n", "/rows/1", "line 3"),
        ("channel,month,amount\nads,2026-01,1\n\nads,2026-02,x\n", "/rows/1/amount", "line 4"),
        ("channel,month,amount\nads,2026-01,\n", "/rows/0/amount", "line 2"),
        ("channel,month,amount,cost\n", "/header/cost", None),
        ("channel,amount\nads,1\n", "/header/month", None),
        ("channel,month,month,amount\n", "/header/month", None),
        ("", "/header", None),
        ("channel,month,amount\n", "/rows", None),
    ],
)
def test_csv_errors_point_at_the_row_counted_after_the_header(
    text: str, pointer: str, line: str | None
) -> None:
    rejection = _rejection(_from_csv(text))
    assert (rejection.pointer, rejection.status) == (pointer, 400)
    if line is not None:
        assert rejection.message.startswith(f"{line}: {pointer}")


def test_csv_that_is_not_utf8_is_refused_with_what_to_do_in_excel() -> None:
    rejection = _rejection(csv_rows("channel,month,amount\nads,2026-01,春\n".encode("gbk")))
    assert "UTF-8" in rejection.message and rejection.pointer == "/rows"


def test_the_contract_refuses_an_id_that_names_another_month() -> None:
    record = SpendRecorded.of(
        channel=Channel.ADS, month="2026-03", amount=1.0, currency="CNY", recorded_at=AT, source="f"
    )
    with pytest.raises(ValidationError, match="spend_id"):
        SpendRecorded.model_validate({**record.model_dump(), "month": "2026-04"})
    assert spend_id_of("ads", None, "2026-03") == record.spend_id
    assert spend_id_of("ads", "2026-03", "2026-03") != record.spend_id

"""Marketing spend rows in (a JSON array or a CSV sheet), `SpendRecorded` records out.

Pure: no I/O. A request is all or nothing: the first bad row is the answer, a 400 whose pointer
names the row and the field (`/3/amount` in a JSON array, `/rows/3/amount` in a CSV body, rows
counted from 0 after the header; the message names the spreadsheet's line too).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.events import Channel
from schemas.spend import MAX_AMOUNT, SpendRecorded
from services.ingest.rejections import (
    INVALID_VALUE,
    MISSING_FIELD,
    UNKNOWN_FIELD,
    Rejection,
    from_validation_error,
    pointer,
)

COLUMNS = ("channel", "campaign", "month", "amount", "currency")
REQUIRED_COLUMNS = ("channel", "month", "amount")
# Excel writes a month cell back as 2026/3 or 2026/3/1: read as 2026-03.
_SHEET_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})(?:[-/]0?1)?$")


class SpendIn(BaseModel):
    """One posted row: a channel's (or campaign's) spend in a month."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    campaign: str | None = Field(default=None, max_length=200)
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    amount: float = Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    currency: str | None = Field(default=None, description="default: the reporting currency")

    @field_validator("campaign")
    @classmethod
    def _blank_is_none(cls, campaign: str | None) -> str | None:
        return campaign.strip() or None if campaign is not None else None

    @field_validator("month")
    @classmethod
    def _real_month(cls, month: str) -> str:
        if not 1 <= int(month[5:]) <= 12 or not 1900 <= int(month[:4]) <= 2199:
            raise ValueError("not a calendar month YYYY-MM")
        return month


def _bad(where: str, code: str, message: str) -> Rejection:
    return Rejection(code, where, f"{where or '/'}: {message}")


def _nested(rejection: Rejection, where: str) -> Rejection:
    """The rejection of a field of a row, pointer and message under the row's pointer."""
    reason = rejection.message.partition(": ")[2] or rejection.message
    return _bad(where + rejection.pointer, rejection.code, reason)


def _record(
    row: Any, where: str, currency: str, recorded_at: datetime, source: str
) -> SpendRecorded | Rejection:
    if not isinstance(row, dict):
        return _bad(where, INVALID_VALUE, "a spend row is an object")
    try:
        given = SpendIn.model_validate(row)
    except ValidationError as error:
        return _nested(from_validation_error(error), where)
    posted = (given.currency or currency).strip().upper()
    if posted != currency:
        message = (
            f"spend is accepted in {currency} only (LEADFUNNEL_REPORTING_CURRENCY), not"
            f" {posted[:10]!r}: convert before posting"
        )
        return _bad(f"{where}/currency", INVALID_VALUE, message)
    fields = given.model_dump() | {"currency": currency}
    return SpendRecorded.of(**fields, recorded_at=recorded_at, source=source)


def spend_records(
    rows: Sequence[Any],
    prefix: str,
    currency: str,
    recorded_at: datetime,
    source: str,
    lines: Sequence[int] = (),
) -> list[SpendRecorded] | Rejection:
    """Every row as a record, or the first bad one (pointers under `prefix`, e.g. `/rows`).

    `lines`: each row's line in the sheet (CSV), named in the messages.
    """
    if not rows:
        return _bad(prefix, INVALID_VALUE, "no spend rows")
    records: list[SpendRecorded] = []
    first_of: dict[str, int] = {}
    for index, row in enumerate(rows):
        where = f"{prefix}{pointer(index)}"
        record = _record(row, where, currency, recorded_at, source)
        if isinstance(record, Rejection):
            return _on_line(record, lines, index)
        if record.spend_id in first_of:
            duplicate = _bad(where, INVALID_VALUE, f"repeats row {first_of[record.spend_id]}")
            return _on_line(duplicate, lines, index)
        first_of[record.spend_id] = index
        records.append(record)
    return records


def _on_line(rejection: Rejection, lines: Sequence[int], index: int) -> Rejection:
    if index >= len(lines):
        return rejection
    message = f"line {lines[index]}: {rejection.message}"
    return Rejection(rejection.code, rejection.pointer, message)


def json_rows(data: Any) -> list[Any] | Rejection:
    """The rows of a JSON body: an array of row objects."""
    if not isinstance(data, list):
        return _bad("", INVALID_VALUE, "the body is a JSON array of spend rows")
    return data


def csv_rows(body: bytes) -> tuple[list[dict[str, Any]], list[int]] | Rejection:
    """The rows of a CSV body (UTF-8, a BOM allowed) by column name, and each row's line."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = "CSV is not UTF-8: in Excel save as 'CSV UTF-8 (逗号分隔)', not plain CSV (GBK)"
        return _bad("/rows", INVALID_VALUE, message)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:  # blank lines (Excel leaves some at the end) are no rows
        lines = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    except csv.Error as error:
        return _bad("/rows", INVALID_VALUE, f"malformed CSV near line {reader.line_num}: {error}")
    if not lines:
        return _bad("/header", MISSING_FIELD, f"no header line: {','.join(COLUMNS)}")
    header = [name.strip().lower() for name in lines[0][1]]
    problem = _header_problem(header)
    if problem is not None:
        return problem
    rows = []
    for index, (line, cells) in enumerate(lines[1:]):
        if len(cells) > len(header):
            where = f"/rows/{index}"
            message = f"{len(cells)} cells, the header names {len(header)}"
            return _on_line(_bad(where, INVALID_VALUE, message), [line], 0)
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=False)}
        rows.append(_sheet_row(row))
    return rows, [line for line, _ in lines[1:]]


def _header_problem(header: list[str]) -> Rejection | None:
    for name in header:
        if name not in COLUMNS:
            expected = ",".join(COLUMNS)
            where = pointer("header", name[:40])
            return _bad(where, UNKNOWN_FIELD, f"unknown column; the columns are {expected}")
        if header.count(name) > 1:
            return _bad(pointer("header", name), INVALID_VALUE, "column named twice")
    for name in REQUIRED_COLUMNS:
        if name not in header:
            return _bad(pointer("header", name), MISSING_FIELD, "required column")
    return None


def _sheet_row(row: dict[str, str]) -> dict[str, Any]:
    """Cells as the JSON row would carry them: blanks left out, months in Excel's forms read."""
    cells: dict[str, Any] = {name: value for name, value in row.items() if value != ""}
    month = _SHEET_MONTH.match(cells.get("month", ""))
    if month is not None:
        cells["month"] = f"{month[1]}-{int(month[2]):02d}"
    return cells

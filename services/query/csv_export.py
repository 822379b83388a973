"""CSV answers for clients that send `Accept: text/csv` (spreadsheets, BI imports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import fields
from functools import cache
from typing import Any

import orjson
from fastapi import Request, Response
from pydantic import BaseModel, TypeAdapter

from runtime.ops_http import json_response


def wants_csv(request: Request) -> bool:
    """Whether the client asked for CSV rather than JSON."""
    return "text/csv" in request.headers.get("accept", "")


# Excel (and LibreOffice) run a cell starting with one of these as a formula: a campaign name
# or lost reason "=HYPERLINK(…)" must stay text (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel on zh-CN Windows reads a CSV as GBK unless it starts with the UTF-8 BOM


def _cell(value: Any) -> Any:
    # A list (the top lost reasons) is its JSON: reasons may hold ':' and ';' themselves
    # ("price: too high; maybe later"), and JSON parses back to exactly the API's value.
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # shown as text; the leading quote is the documented escape
    return "" if value is None else value


def _line(cells: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def csv_header(columns: Sequence[str]) -> str:
    """The first chunk of a CSV answer: the BOM and the header line (JSON field names)."""
    return BOM + _line(columns)


def csv_row(columns: Sequence[str], data: dict[str, Any]) -> str:
    """One CSV line of a JSON-shaped row, cells escaped (`_cell`)."""
    return _line([_cell(data.get(column)) for column in columns])


@cache
def _adapter(row_type: type) -> TypeAdapter[Any]:
    return TypeAdapter(row_type)


def columns_of(row_type: type) -> list[str]:
    """The field names of a row type: a pydantic model or a dataclass served directly."""
    if issubclass(row_type, BaseModel):
        return list(row_type.model_fields)
    return [field.name for field in fields(row_type)]


def csv_response(rows: Sequence[Any], columns: Sequence[str], filename: str) -> Response:
    """The rows (models or dataclasses) as CSV, one header line with the JSON field names."""
    lines = (csv_row(columns, _adapter(type(row)).dump_python(row, mode="json")) for row in rows)
    text = csv_header(columns) + "".join(lines)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def table_response(
    request: Request,
    answer: BaseModel,
    rows: Sequence[Any],
    row_type: type,
    name: str,
) -> Response:
    """CSV of the rows when asked for, else the whole answer as JSON."""
    if wants_csv(request):
        return csv_response(rows, columns_of(row_type), name)
    return json_response(answer.model_dump(mode="json", by_alias=True))

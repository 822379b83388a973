"""CSV answers for clients that send `Accept: text/csv` (spreadsheets, BI imports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Request, Response
from pydantic import BaseModel

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


def csv_response(rows: Sequence[BaseModel], columns: Sequence[str], filename: str) -> Response:
    """The rows as CSV, one header line with the JSON field names."""
    lines = (csv_row(columns, row.model_dump(mode="json")) for row in rows)
    text = csv_header(columns) + "".join(lines)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def table_response(
    request: Request,
    answer: BaseModel,
    rows: Sequence[BaseModel],
    row_type: type[BaseModel],
    name: str,
) -> Response:
    """CSV of the rows when asked for, else the whole answer as JSON."""
    if wants_csv(request):
        return csv_response(rows, list(row_type.model_fields), name)
    return json_response(answer.model_dump(mode="json", by_alias=True))

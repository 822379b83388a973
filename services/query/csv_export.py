"""CSV answers for clients that send `Accept: text/csv` (spreadsheets, BI imports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Request, Response
from pydantic import BaseModel

from services.ops_http import json_response


def wants_csv(request: Request) -> bool:
    """Whether the client asked for CSV rather than JSON."""
    return "text/csv" in request.headers.get("accept", "")


def _cell(value: Any) -> Any:
    # A list (the top lost reasons) is its JSON: reasons may hold ':' and ';' themselves
    # ("price: too high; maybe later"), and JSON parses back to exactly the API's value.
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return "" if value is None else value


def csv_response(rows: Sequence[BaseModel], columns: Sequence[str], filename: str) -> Response:
    """The rows as CSV, one header line with the JSON field names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        data = row.model_dump(mode="json")
        writer.writerow([_cell(data[column]) for column in columns])
    return Response(
        buffer.getvalue(),
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

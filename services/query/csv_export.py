"""CSV answers for clients that send `Accept: text/csv` (spreadsheets, BI imports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from services.ops_http import json_response


def wants_csv(request: Request) -> bool:
    """Whether the client asked for CSV rather than JSON."""
    return "text/csv" in request.headers.get("accept", "")


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(
            f"{item['reason']}:{item['count']}" if isinstance(item, dict) else str(item)
            for item in value
        )
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

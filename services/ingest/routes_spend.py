"""`POST /v1/spend`: marketing spend per channel / campaign and month, JSON rows or a CSV sheet."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from schemas.spend import SpendRecorded
from schemas.topics import SPEND
from services.ingest.answers import json_response
from services.ingest.auth import check_channel, presented_key
from services.ingest.body import parse_storable_json, read_body
from services.ingest.handling import Ingest
from services.ingest.openapi_docs import ANSWERS, request_body
from services.ingest.publisher import Record
from services.ingest.rejections import Rejection
from services.ingest.routes import IngestDep
from services.ingest.spend import SpendIn, csv_rows, json_rows, spend_records
from services.ingest.telemetry import REQUESTS_REJECTED
from services.settings import Settings

ROUTE = "/v1/spend"
MEDIA_TYPES = frozenset({"application/json", "text/csv"})
log = logging.getLogger("ingest")
CSV_EXAMPLE = "channel,campaign,month,amount,currency\nads,spring-search,2026-03,12000,CNY\n"
JSON_EXAMPLE = [
    {"channel": "ads", "campaign": "spring-search", "month": "2026-03", "amount": 12000},
    {"channel": "wechat", "month": "2026-03", "amount": 3500.5, "currency": "CNY"},
]


def _refuse(rejection: Rejection) -> Response:
    REQUESTS_REJECTED.labels(ROUTE, rejection.code).inc()
    log.info(
        "request refused",
        extra={"reason": rejection.code, "pointer": rejection.pointer, "route": ROUTE},
    )
    return json_response(rejection.body(), rejection.status, rejection.retry_after)


def _is_csv(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "text/csv"


async def _records(
    request: Request, ingest: Ingest, settings: Settings
) -> list[SpendRecorded] | Rejection:
    """Read, authenticate and validate the whole request: its records, or why not."""
    recorded_at = datetime.now(UTC)
    body = await read_body(request, settings.ingest_max_batch_bytes, MEDIA_TYPES)
    if isinstance(body, Rejection):
        return body
    presented = presented_key(request.headers.get("authorization"))
    if isinstance(presented, Rejection):
        return presented
    key = ingest.keys.authenticate(presented)
    if isinstance(key, Rejection):
        return key
    currency = settings.reporting_currency
    if _is_csv(request):
        sheet = csv_rows(body)
        if isinstance(sheet, Rejection):
            return sheet
        rows, lines = sheet
        records = spend_records(rows, "/rows", currency, recorded_at, key.name, lines)
    else:
        data = parse_storable_json(body)
        rows_or_error = data if isinstance(data, Rejection) else json_rows(data)
        if isinstance(rows_or_error, Rejection):
            return rows_or_error
        records = spend_records(rows_or_error, "", currency, recorded_at, key.name)
    if isinstance(records, Rejection):
        return records
    prefix = "/rows" if _is_csv(request) else ""
    for index, record in enumerate(records):
        forbidden = check_channel(key, record.channel.value)
        if forbidden is not None:
            return forbidden.under(f"{prefix}/{index}")
    address = request.client.host if request.client else None
    limited = await ingest.limiter.admit(key, len(records), address)  # a row costs as an event
    return limited or records


def _record(spend: SpendRecorded) -> Record:
    value = spend.model_dump_json().encode()
    return spend.spend_id.encode(), value, [("channel", spend.channel.value.encode())]


def spend_router(settings: Settings) -> APIRouter:
    """`POST /v1/spend`: all rows of a request are published, or none."""
    router = APIRouter(tags=["spend"])
    body: dict[str, Any] = request_body(list[SpendIn], {"two rows": JSON_EXAMPLE})
    sheet = {"schema": {"type": "string"}, "examples": {"a sheet": {"value": CSV_EXAMPLE}}}
    body["requestBody"]["content"]["text/csv"] = sheet

    @router.post(
        ROUTE,
        summary="Marketing spend per channel / campaign and month",
        description="A JSON array of rows or a CSV sheet (`Content-Type: text/csv`, header"
        " `channel,campaign,month,amount,currency`, UTF-8, a BOM allowed). A re-post of the"
        f" same channel, campaign and month replaces it. Amounts in {settings.reporting_currency}"
        " only. One bad row refuses the request (400, `pointer` names row and field).",
        operation_id="post_spend",
        responses={200: {"description": "Every row durably in Kafka"}, **ANSWERS},
        openapi_extra=body,
    )
    async def post_spend(request: Request, ingest: IngestDep) -> Response:
        """Spend rows; 200 only once Kafka acknowledged every one of them."""
        records = await _records(request, ingest, settings)
        if isinstance(records, Rejection):
            return _refuse(records)
        topic = SPEND.name(settings.topic_prefix)
        failed = await ingest.publisher.publish_records(topic, [_record(r) for r in records])
        if failed:
            return _refuse(failed)
        answer = {"success": True, "accepted": len(records)}
        return json_response({**answer, "spend_ids": [r.spend_id for r in records]}, 200)

    return router

"""Routers: Segment's tracking API, the native event API and the CRM endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from schemas.events import Event
from services.ingest import examples as ex
from services.ingest.envelope import Stamp
from services.ingest.handling import Endpoint, Ingest, handle
from services.ingest.openapi_docs import ANSWERS, BATCH_ANSWERS, request_body
from services.ingest.rejections import Rejection, from_validation_error
from services.ingest.segment import SegmentMapper
from services.ingest.segment_calls import SEGMENT_ADAPTER, SEGMENT_CALLS, SegmentBatch
from services.ingest.unpack import array, segment_batch_fields, single
from services.settings import Settings, WriteKey


def get_ingest(request: Request) -> Ingest:
    """The ingest state built at startup."""
    ingest: Ingest = request.app.state.ingest
    return ingest


IngestDep = Annotated[Ingest, Depends(get_ingest)]
SEGMENT_EXAMPLES = {
    "track": ex.SEGMENT_TRACK,
    "page": ex.SEGMENT_PAGE,
    "screen": ex.SEGMENT_PAGE,
    "identify": ex.SEGMENT_IDENTIFY,
    "alias": ex.SEGMENT_ALIAS,
    "group": ex.SEGMENT_GROUP,
}


def _segment_convert(mapper: SegmentMapper, call_type: str | None):  # type: ignore[no-untyped-def]
    def convert(item: Any, stamp: Stamp, key: WriteKey) -> Event | Rejection:
        try:
            if call_type:
                call = SEGMENT_CALLS[call_type].model_validate({**item, "type": call_type})
            else:
                call = SEGMENT_ADAPTER.validate_python(item)
        except ValidationError as error:
            return from_validation_error(error, tags=frozenset(SEGMENT_CALLS))
        return mapper.to_event(call, stamp, key.channels[0] if key.channels else "api")

    return convert


def segment_router(settings: Settings) -> APIRouter:
    """Segment's HTTP tracking API: any Segment or RudderStack SDK can point at us."""
    router = APIRouter(prefix="/v1", tags=["segment"])
    mapper = SegmentMapper.from_table(settings.segment_event_types)
    one, many = settings.ingest_max_event_bytes, settings.ingest_max_batch_bytes

    def add(call_type: str) -> None:
        model = SEGMENT_CALLS[call_type]
        endpoint = Endpoint(
            f"/v1/{call_type}", one, single, _segment_convert(mapper, call_type), False, True
        )

        async def route(request: Request, ingest: IngestDep) -> Response:
            return await handle(request, ingest, endpoint)

        route.__doc__ = model.__doc__
        router.add_api_route(
            f"/{call_type}",
            route,
            methods=["POST"],
            summary=f"Segment {call_type} call",
            description=model.__doc__ or "",
            operation_id=f"segment_{call_type}",
            responses={200: {"description": "Durably in Kafka"}, **ANSWERS},
            openapi_extra=request_body(model, {call_type: SEGMENT_EXAMPLES[call_type]}),
        )

    for call_type in SEGMENT_CALLS:
        add(call_type)

    unpack = array("batch", one, segment_batch_fields)
    batches = {  # `/v1/import` is Segment's name for a historical batch: the same call
        "batch": "Segment batch: many calls, answered per call",
        "import": "Segment import (historical batch): the same as /v1/batch",
    }

    def add_batch(name: str, summary: str) -> None:
        endpoint = Endpoint(f"/v1/{name}", many, unpack, _segment_convert(mapper, None), True, True)

        async def batch_route(request: Request, ingest: IngestDep) -> Response:
            """Segment batch: each call accepted or rejected with a reason (207 when mixed)."""
            return await handle(request, ingest, endpoint)

        router.add_api_route(
            f"/{name}",
            batch_route,
            methods=["POST"],
            summary=summary,
            operation_id=f"segment_{name}",
            responses=BATCH_ANSWERS,
            openapi_extra=request_body(SegmentBatch, {"batch": ex.SEGMENT_BATCH}),
        )

    for name, summary in batches.items():
        add_batch(name, summary)

    return router

"""Routers: the native event API (our envelope) and the CRM endpoints for sales tools."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from services.ingest import examples as ex
from services.ingest.crm import CommunicationIn, StageChangeIn, crm_event
from services.ingest.envelope import Stamp
from services.ingest.handling import Endpoint, handle
from services.ingest.native import NativeEvent, native_event
from services.ingest.openapi_docs import ANSWERS, BATCH_ANSWERS, request_body
from services.ingest.routes import IngestDep
from services.ingest.unpack import array, object_or_list, single
from services.settings import Settings, WriteKey


class NativeBatch(BaseModel):
    """Many native events; each is accepted or rejected on its own."""

    events: list[NativeEvent]


def _native(item: Any, stamp: Stamp, key: WriteKey) -> Any:
    return native_event(item, stamp)


def native_router(settings: Settings) -> APIRouter:
    """`/v1/events` and `/v1/events/batch`: our envelope, raw email / phone hashed here."""
    router = APIRouter(prefix="/v1/events", tags=["events"])
    one, many = settings.ingest_max_event_bytes, settings.ingest_max_batch_bytes
    event = Endpoint("/v1/events", one, single, _native, False)
    batch = Endpoint("/v1/events/batch", many, array("events", one), _native, True)
    examples = {
        "page viewed": ex.NATIVE_PAGE_VIEWED,
        "WeChat QR scan": ex.NATIVE_WECHAT_QR,
        "customer feedback (v2)": ex.NATIVE_FEEDBACK,
    }

    @router.post(
        "",
        summary="Post one event",
        operation_id="post_event",
        responses={200: {"description": "Durably in Kafka"}, **ANSWERS},
        openapi_extra=request_body(NativeEvent, examples),
    )
    async def post_event(request: Request, ingest: IngestDep) -> Response:
        """One event in our envelope; 200 only once Kafka acknowledged it."""
        return await handle(request, ingest, event)

    @router.post(
        "/batch",
        summary="Post many events, answered per event",
        operation_id="post_events_batch",
        responses=BATCH_ANSWERS,
        openapi_extra=request_body(NativeBatch, {"two events": ex.NATIVE_BATCH}),
    )
    async def post_batch(request: Request, ingest: IngestDep) -> Response:
        """Many events; each accepted or rejected with a reason (207 when mixed)."""
        return await handle(request, ingest, batch)

    return router


def crm_router(settings: Settings) -> APIRouter:
    """Sales tools post stage changes and communications (one object or a list)."""
    router = APIRouter(prefix="/v1/crm", tags=["crm"])
    stages = tuple(settings.sales_stages)
    unpack = object_or_list(settings.ingest_max_event_bytes)
    limit = settings.ingest_max_batch_bytes

    def convert(kind: type[StageChangeIn | CommunicationIn]):  # type: ignore[no-untyped-def]
        return lambda item, stamp, key: crm_event(item, kind, stamp, stages)

    stage_changes = Endpoint(
        "/v1/crm/stage-changes",
        limit,
        unpack,
        convert(StageChangeIn),
        True,
        labels=("crm", "sales_stage_changed"),
    )
    communications = Endpoint(
        "/v1/crm/communications",
        limit,
        unpack,
        convert(CommunicationIn),
        True,
        labels=("crm", "communication_logged"),
    )
    stage_list = ", ".join(stages)

    @router.post(
        "/stage-changes",
        summary="Opportunity stage changes",
        description=f"Stages: {stage_list}. One object or a list; answered per record.",
        operation_id="crm_stage_changes",
        responses=BATCH_ANSWERS,
        openapi_extra=request_body(
            StageChangeIn | list[StageChangeIn],
            {
                "stage change (v2)": ex.CRM_STAGE_CHANGE,
                "won (v2: amount and currency)": ex.CRM_WON,
                "stage change (v1)": ex.CRM_STAGE_CHANGE_V1,
            },
        ),
    )
    async def post_stage_changes(request: Request, ingest: IngestDep) -> Response:
        """Stage changes on the `crm` channel; unknown stages are rejected with the list."""
        return await handle(request, ingest, stage_changes)

    @router.post(
        "/communications",
        summary="Logged sales communications",
        operation_id="crm_communications",
        responses=BATCH_ANSWERS,
        openapi_extra=request_body(
            CommunicationIn | list[CommunicationIn], {"call": ex.CRM_COMMUNICATION}
        ),
    )
    async def post_communications(request: Request, ingest: IngestDep) -> Response:
        """Calls, meetings, visits; the outcome flags say whether one was effective."""
        return await handle(request, ingest, communications)

    return router

"""Erasure endpoints: `DELETE /v1/people/{lead_id}` and `DELETE /v1/people?email=|phone=|crm_id=`.

Admin tokens only. The answer names the erasure and the leads it covered, never the contact
details; the identifiers given in the query string are neither logged nor echoed.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel

from funnel.store.people_reads import leads_with_identity, person_leads
from runtime.ops_http import json_response
from schemas.outgoing import PersonErased
from schemas.topics import ERASURES
from services.access import Principal, Role
from services.query.auth import PrincipalDep
from services.query.deps import PoolDep
from services.vault.erasure import Erasure, MatchedBy, erase, identity_key

log = logging.getLogger("query.erasure")
ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no read token"},
    403: {"description": "not an admin token"},
    404: {"description": "nothing known about this person"},
    503: {"description": "Kafka or PostgreSQL did not answer; nothing was erased, retry"},
}


class ErasureOut(BaseModel):
    """What an erasure did: its id (in the audit log), the leads forgotten, the keys deleted."""

    erasure_id: str
    lead_ids: list[str]
    keys_deleted: int


def require_admin(principal: PrincipalDep) -> Principal:
    """The admin behind the token; 403 for every other role."""
    if principal.role is not Role.ADMIN:
        raise HTTPException(403, "erasing people needs an admin token")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]
router = APIRouter(prefix="/v1/people", tags=["people"], responses=ANSWERS)


async def _producer(request: Request) -> AIOKafkaProducer:
    producer: AIOKafkaProducer | None = getattr(request.app.state, "erasure_producer", None)
    if producer is None:
        settings = request.app.state.settings
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            client_id="leadfunnel-query-erasure",
        )
        await producer.start()
        request.app.state.erasure_producer = producer
    return producer


async def close_producer(state: Any) -> None:
    """Stop the erasure producer if one was started (the app's shutdown calls this)."""
    producer = getattr(state, "erasure_producer", None)
    if producer is not None:
        await producer.stop()


async def _erase(
    request: Request,
    pool: Any,
    admin: Principal,
    matched_by: MatchedBy,
    find: Any,
    extra: list[str],
) -> Any:
    settings = request.app.state.settings
    topic = ERASURES.name(settings.topic_prefix)

    async def announce(event: PersonErased) -> None:
        producer = await _producer(request)
        value = event.model_dump_json().encode()
        await producer.send_and_wait(topic, value, key=event.lead_ids[0].encode())

    try:
        async with pool.acquire() as conn:
            lead_ids = await find(conn)
            done: Erasure | None = await erase(
                conn,
                lead_ids=lead_ids,
                extra_identities=extra,
                secret=settings.pii_hmac_secret,
                requested_by=admin.name,
                matched_by=matched_by,
                announce=announce,
                alerts_schema=settings.alerts_schema,
            )
    except (OSError, TimeoutError, asyncpg.PostgresError, KafkaError) as error:
        raise HTTPException(503, "erasure could not complete; nothing changed, retry") from error
    if done is None:
        raise HTTPException(404, "nothing is known about this person")
    log.info(
        "person erased",
        extra={"erasure_id": done.erasure_id, "leads": len(done.lead_ids), "by": admin.name},
    )
    out = ErasureOut(
        erasure_id=done.erasure_id, lead_ids=done.lead_ids, keys_deleted=done.keys_deleted
    )
    return json_response(out.model_dump(mode="json"))


@router.delete("/{lead_id}", response_model=ErasureOut)
async def erase_lead(request: Request, pool: PoolDep, admin: AdminDep, lead_id: str) -> Any:
    """Erase the person behind a lead (and every lead merged with it)."""

    async def find(conn: Any) -> list[str]:
        return await person_leads(conn, [lead_id])

    return await _erase(request, pool, admin, "lead_id", find, [])


@router.delete("", response_model=ErasureOut)
async def erase_person(
    request: Request,
    pool: PoolDep,
    admin: AdminDep,
    email: Annotated[str | None, Query(max_length=320)] = None,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    crm_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    """Erase the person with this email, phone or CRM lead id (exactly one of them)."""
    given: list[tuple[MatchedBy, str]] = [
        (name, value)
        for name, value in (("email", email), ("phone", phone), ("crm_id", crm_id))
        if value is not None
    ]
    if len(given) != 1:
        raise HTTPException(422, "name exactly one of email, phone or crm_id")
    matched_by, value = given[0]
    key = identity_key(matched_by, value, request.app.state.hasher)
    if key is None:
        raise HTTPException(422, f"{matched_by} is not a valid {matched_by.replace('_', ' ')}")

    async def find(conn: Any) -> list[str]:
        return await leads_with_identity(conn, key)

    return await _erase(request, pool, admin, matched_by, find, [key])

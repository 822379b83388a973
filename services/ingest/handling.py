"""One request, step by step: read, authenticate, rate-limit, map each event, publish, answer."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response

from schemas.events import EVENT_TYPES, Channel, Event
from services.ingest.answers import answer, json_response
from services.ingest.auth import KeyRing, check_channel, presented_key
from services.ingest.body import parse_json, read_body, unstorable_value
from services.ingest.envelope import Stamp
from services.ingest.publisher import Publisher
from services.ingest.ratelimit import Limiter
from services.ingest.rejections import Rejection
from services.ingest.telemetry import (
    EVENTS_ACCEPTED,
    EVENTS_RECEIVED,
    EVENTS_REJECTED,
    REQUESTS_REJECTED,
)
from services.pii import PiiHasher
from services.settings import WriteKey
from services.vault.sealing import Sealer

Item = tuple[str, Any]  # (JSON pointer of the item in the body, the item or why it was refused)
Unpack = Callable[[Any], list[Item] | Rejection]
Convert = Callable[[Any, Stamp, WriteKey], Event | Rejection]
log = logging.getLogger("ingest")
_CHANNELS = frozenset(Channel)
_TYPES = frozenset(EVENT_TYPES)


@dataclass(frozen=True)
class Ingest:
    """Everything a request needs, built once from settings at startup."""

    keys: KeyRing
    limiter: Limiter
    publisher: Publisher
    hasher: PiiHasher
    sealer: Sealer  # contact details → ciphertext under each person's data key, before Kafka


@dataclass(frozen=True)
class Endpoint:
    """How one route reads its body: size limit, whether it is a batch, how items map."""

    route: str
    limit: int
    unpack: Unpack
    convert: Convert
    is_batch: bool
    body_key: bool = False  # Segment: `writeKey` may come in the body
    labels: tuple[str | None, str | None] = (None, None)  # metric labels of rejected events


def refuse(endpoint: Endpoint, rejection: Rejection) -> Response:
    """A whole request refused: counted by route and reason, logged without the payload."""
    REQUESTS_REJECTED.labels(endpoint.route, rejection.code).inc()
    log.info(
        "request refused",
        extra={
            "reason": rejection.code,
            "pointer": rejection.pointer,
            "route": endpoint.route,
            "status": rejection.status,
        },
    )
    return json_response(rejection.body(), rejection.status, rejection.retry_after)


def _labels(item: Any, fixed: tuple[str | None, str | None], key: WriteKey) -> tuple[str, str]:
    given = item if isinstance(item, dict) else {}
    channel, kind = str(given.get("channel")), str(given.get("type"))
    default = key.channels[0] if key.channels else "unknown"
    channel = fixed[0] or (channel if channel in _CHANNELS else default)
    return channel, fixed[1] or (kind if kind in _TYPES else "unknown")


async def handle(request: Request, ingest: Ingest, endpoint: Endpoint) -> Response:
    """Serve one ingest request; every expected failure is a 4xx/503 value, never a 500."""
    received_at = datetime.now(UTC)
    body = await read_body(request, endpoint.limit)
    if isinstance(body, Rejection):
        return refuse(endpoint, body)
    presented = presented_key(request.headers.get("authorization"))
    if isinstance(presented, Rejection):
        return refuse(endpoint, presented)
    data = parse_json(body)
    if isinstance(data, Rejection):
        return refuse(endpoint, data)
    if presented is None and endpoint.body_key and isinstance(data, dict):
        given = data.get("writeKey")
        presented = given if isinstance(given, str) else None
    key = ingest.keys.authenticate(presented)
    if isinstance(key, Rejection):
        return refuse(endpoint, key)
    items = endpoint.unpack(data)
    if isinstance(items, Rejection):
        return refuse(endpoint, items)
    address = request.client.host if request.client else None  # uvicorn reads X-Forwarded-For
    limited = await ingest.limiter.admit(key, len(items), address)
    if limited:
        return refuse(endpoint, limited)
    stamp = Stamp(received_at, key.name, ingest.hasher)
    results: list[Event | Rejection] = []
    for where, item in items:
        if isinstance(item, Rejection):
            result: Event | Rejection = item
        else:
            result = unstorable_value(item) or endpoint.convert(item, stamp, key)
        if not isinstance(result, Rejection):
            result = check_channel(key, result.channel) or result
        results.append(result.under(where) if isinstance(result, Rejection) else result)
    accepted = [result for result in results if not isinstance(result, Rejection)]
    sealed = await ingest.sealer.seal(accepted, stamp.contacts) if stamp.contacts else accepted
    if isinstance(sealed, Rejection):
        return refuse(endpoint, sealed)
    failed = await ingest.publisher.publish(sealed) if sealed else None
    if failed:
        return refuse(endpoint, failed)
    _count(items, results, endpoint.labels, key)
    return answer(endpoint.is_batch, results)


def _count(
    items: list[Item],
    results: list[Event | Rejection],
    fixed: tuple[str | None, str | None],
    key: WriteKey,
) -> None:
    # One increment per label set, not per event: a batch has few distinct ones.
    tally: Counter[tuple[str, str, str | None]] = Counter()
    for (_, item), result in zip(items, results, strict=True):
        if isinstance(result, Rejection):
            tally[(*_labels(item, fixed, key), result.code)] += 1
            extra = {"reason": result.code, "pointer": result.pointer, "status": result.status}
            log.info("event rejected", extra=extra)
        else:
            tally[(result.channel.value, result.type, None)] += 1
    for (channel, kind, reason), count in tally.items():
        EVENTS_RECEIVED.labels(channel, kind).inc(count)
        if reason is None:
            EVENTS_ACCEPTED.labels(channel, kind).inc(count)
        else:
            EVENTS_REJECTED.labels(channel, kind, reason).inc(count)

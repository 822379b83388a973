"""Splitting request bodies into events: single object, list, or named array; 32 KB per event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from services.ingest.handling import Item, Unpack
from services.ingest.rejections import (
    EVENT_TOO_LARGE,
    INVALID_VALUE,
    MISSING_FIELD,
    Rejection,
    pointer,
)


def _not_object(where: str) -> Rejection:
    return Rejection(INVALID_VALUE, where, f"{where or '/'}: expected a JSON object")


def single(data: Any) -> list[Item] | Rejection:
    """Exactly one JSON object."""
    return [("", data)] if isinstance(data, dict) else _not_object("")


def sized(item: Any, limit: int) -> Any:
    """The item, or a rejection when it alone is larger than the per-event limit."""
    if not isinstance(item, dict):
        return _not_object("")
    if len(orjson.dumps(item)) > limit:
        return Rejection(EVENT_TOO_LARGE, "", f"event larger than {limit} bytes")
    return item


def array(
    name: str, limit: int, merge: Callable[[dict[str, Any], Any], Any] = lambda body, item: item
) -> Unpack:
    """Events in `{name: [...]}`; `merge` applies batch-level fields to each item."""

    where = pointer(name)

    def unpack(data: Any) -> list[Item] | Rejection:
        if not isinstance(data, dict):
            return _not_object("")
        if name not in data:
            return Rejection(MISSING_FIELD, where, f"{where}: Field required")
        if not isinstance(data[name], list):
            return Rejection(INVALID_VALUE, where, f"{where}: expected an array of events")
        # An index needs no escaping: the pointer of item i is `where/i`.
        return [
            (f"{where}/{index}", _merged(data, sized(item, limit), merge))
            for index, item in enumerate(data[name])
        ]

    return unpack


def _merged(data: dict[str, Any], item: Any, merge: Callable[..., Any]) -> Any:
    return item if isinstance(item, Rejection) else merge(data, item)


def object_or_list(limit: int) -> Unpack:
    """One object, or a list of them (CRM endpoints)."""

    def unpack(data: Any) -> list[Item] | Rejection:
        if isinstance(data, list):
            return [(f"/{index}", sized(item, limit)) for index, item in enumerate(data)]
        return single(data)

    return unpack


def segment_batch_fields(body: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """A batch's `sentAt` and `context` apply to each call that lacks its own."""
    merged = dict(item)
    if "sentAt" not in merged and "sentAt" in body:
        merged["sentAt"] = body["sentAt"]
    shared, own = body.get("context"), merged.get("context")
    if isinstance(shared, dict) and (own is None or isinstance(own, dict)):
        merged["context"] = {**shared, **(own or {})}
    return merged

"""Answers: JSON error bodies, Retry-After / WWW-Authenticate headers, per-event batch results."""

from __future__ import annotations

import orjson
from fastapi import Response

from schemas.events import Event
from services.ingest.rejections import Rejection


def json_response(payload: object, status: int, retry_after: int | None = None) -> Response:
    """A JSON answer; Retry-After on 429 / 503, WWW-Authenticate on 401."""
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="leadfunnel ingest"'
    return Response(orjson.dumps(payload), status, headers, media_type="application/json")


def _result(index: int, result: Event | Rejection) -> dict[str, object]:
    if isinstance(result, Rejection):
        return {"index": index, "status": "rejected", **result.body()}
    return {"index": index, "status": "accepted", "event_id": result.event_id}


def answer(is_batch: bool, results: list[Event | Rejection]) -> Response:
    """One result: 200 or its error; a batch: 200 all, 207 some, else the rejections' status."""
    rejected = [result for result in results if isinstance(result, Rejection)]
    if not is_batch:
        if rejected:
            return json_response(rejected[0].body(), rejected[0].status)
        return json_response({"success": True, "event_id": results[0].event_id}, 200)  # type: ignore[union-attr]
    body: dict[str, object] = {
        "success": not rejected,
        "accepted": len(results) - len(rejected),
        "rejected": len(rejected),
        "results": [_result(index, result) for index, result in enumerate(results)],
    }
    if not rejected:
        return json_response(body, 200)
    if len(rejected) < len(results):
        return json_response(body, 207)
    statuses = {rejection.status for rejection in rejected}
    first = rejected[0]
    summary = {  # the first rejection's pointer is already under its batch index
        "code": first.code,
        "message": f"no event accepted; first: {first.message}",
        "pointer": first.pointer,
    }
    return json_response({**summary, **body}, statuses.pop() if len(statuses) == 1 else 400)

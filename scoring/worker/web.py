"""The worker's web port: /metrics, /healthz, /readyz and GET /v1/leads/{lead_id}/score.

The score view answers from the live `leads` table, on the worker that owns the lead's partition
(Faust's table_route forwards the request there): score, tier, per-rule breakdown, recent
contributing events and the identities the lead was seen with. It needs a read token, like the
query API.
"""

from __future__ import annotations

import hmac
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from runtime.http_errors import error_body
from runtime.tokens import sha256_hex
from scoring.model.decider import is_erased
from scoring.model.explain import explain
from scoring.worker.app import ScoringWorker

JSON = "application/json"


def _json(
    web: Any, payload: object, status: int = 200, headers: dict[str, str] | None = None
) -> Any:
    return web.bytes(orjson.dumps(payload), content_type=JSON, status=status, headers=headers)


def _auth_failure(w: ScoringWorker, web: Any, request: Any) -> Any | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        message = "a read token is required: Authorization: Bearer <token>"
        body = error_body("unauthorized", message)
        return _json(web, body, 401, {"WWW-Authenticate": "Bearer"})
    digest = sha256_hex(token.strip())
    if not any(hmac.compare_digest(digest, known) for known in w.config.read_token_sha256s):
        return _json(web, error_body("forbidden", "this token may not read scores"), 403)
    return None


def lead_score(w: ScoringWorker, lead_id: str) -> tuple[int, dict[str, Any]]:
    """The score answer for a lead: 200 with the explanation, 307 to its survivor, or 404."""
    state = w.read_lead(lead_id)
    if state is None or is_erased(state):
        return 404, error_body("not_found", f"no lead {lead_id}")
    if state.merged_into is not None:
        return 307, {"lead_id": lead_id, "merged_into": state.merged_into}
    explanation = explain(state, w.rules).model_dump(mode="json")
    identities = list(w.read_lead_identities(lead_id) or ())
    return 200, {**explanation, "identities": identities}


def register(w: ScoringWorker) -> None:
    """Attach the views to the app's web server."""
    app = w.app

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        # aiohttp takes the charset separately; prometheus_client's text is UTF-8 anyway
        content_type = CONTENT_TYPE_LATEST.split("; charset")[0]
        return web.bytes(generate_latest(), content_type=content_type)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return _json(web, {"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        if w.is_ready():
            partitions = sorted({tp.partition for tp in app.consumer.assignment()})
            return _json(web, {"status": "ready", "partitions": partitions})
        failures = {"faust": "not assigned or recovering"}
        body = {**error_body("unavailable", "not ready: faust"), "status": "unavailable"}
        return _json(web, {**body, "failures": failures}, 503)

    @app.page("/v1/leads/{lead_id}/score")
    @app.table_route(table=w.leads, match_info="lead_id")
    async def score(web: Any, request: Any, lead_id: str) -> Any:
        failure = _auth_failure(w, web, request)
        if failure is not None:
            return failure
        status, body = lead_score(w, lead_id)
        headers = {"Location": f"/v1/leads/{body['merged_into']}/score"} if status == 307 else None
        return _json(web, body, status, headers)

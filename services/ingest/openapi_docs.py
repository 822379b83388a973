"""OpenAPI documentation of request bodies that the routes read themselves (to answer precisely)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

from runtime.http_errors import ERROR_REF

_COMPONENTS: dict[str, Any] = {}
_REF = "#/components/schemas/{model}"

ERROR = ERROR_REF  # runtime/http_errors.py: the one error body of both services
ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid JSON or field (see `pointer`)"},
    401: {"description": "Missing or unknown write key"},
    403: {"description": "The write key may not post to this channel"},
    413: {"description": "Body over the size limit (32 KB a call, 500 KB a batch)"},
    415: {"description": "Content-Type is not JSON, or Content-Encoding is not gzip"},
    429: {"description": "Over the write key's rate; see Retry-After"},
    503: {"description": "Kafka did not acknowledge in time; retry after Retry-After"},
}
BATCH_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "Every event durably in Kafka; results per event"},
    207: {"description": "Some events accepted (durably in Kafka), others rejected with reasons"},
    **ANSWERS,
}
# Channel webhooks (WeChat, ad platforms, the website collector): the same errors, and 404 for
# an account, platform or profile that is not configured.
CHANNEL_ANSWERS: dict[int | str, dict[str, Any]] = {
    **ANSWERS,
    404: {"description": "No such account, platform or profile is configured"},
}
for answer in CHANNEL_ANSWERS.values():
    answer["content"] = {"application/json": {"schema": ERROR}}


def request_body(annotation: Any, examples: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON body by its pydantic type, with named examples."""
    schema = TypeAdapter(annotation).json_schema(ref_template=_REF)
    _COMPONENTS.update(schema.pop("$defs", {}))
    content = {
        "schema": schema,
        "examples": {name: {"value": value} for name, value in examples.items()},
    }
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


WRITE_KEY_SCHEMES: dict[str, dict[str, Any]] = {
    "writeKey": {
        "type": "http",
        "scheme": "basic",
        "description": "the write key as HTTP Basic user name, empty password (Segment's SDKs);"
        " Segment calls may carry `writeKey` in the body instead",
    },
    "writeKeyBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "the write key as a Bearer token",
    },
}
_WRITE_KEY = [{"writeKey": []}, {"writeKeyBearer": []}]


def write_key_security(path: str) -> list[dict[str, list[str]]] | None:
    """The write key guards every /v1 route but the channel webhooks (they verify signatures)."""
    if path.startswith("/v1/") and not path.startswith("/v1/channels/"):
        return _WRITE_KEY
    return None


def install(app: FastAPI) -> None:
    """Make `/openapi.json` include the schemas the request bodies refer to."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            spec.setdefault("components", {}).setdefault("schemas", {}).update(_COMPONENTS)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

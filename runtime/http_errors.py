"""One error body for every HTTP error of ingest and query: `{"code", "message", "pointer"}`.

Routes raise `api_error(...)` (or a plain HTTPException, whose status picks the code); FastAPI's
own validation errors and the router's 404 / 405 are answered in the same shape, and the OpenAPI
spec declares that one schema for every 4xx/5xx answer it lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {
        "code": {"type": "string", "examples": ["invalid_query"], "description": "reason code"},
        "message": {"type": "string", "description": "what is wrong, for a person"},
        "pointer": {
            "type": "string",
            "description": "JSON pointer (RFC 6901) of the offending field: into the body, or"
            " /query/<name>, /path/<name>, /header/<name>; empty when the request as a whole",
        },
    },
    "required": ["code", "message", "pointer"],
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Codes of errors raised without one, by status.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_value",
    429: "rate_limited",
    503: "unavailable",
}


def error_body(code: str, message: str, pointer: str = "") -> dict[str, str]:
    """The one error body."""
    return {"code": code, "message": message, "pointer": pointer}


def api_error(
    status: int,
    code: str,
    message: str,
    pointer: str = "",
    headers: Mapping[str, str] | None = None,
) -> HTTPException:
    """An HTTPException answered as the one error body (raise it from a route or dependency)."""
    return HTTPException(status, error_body(code, message, pointer), dict(headers or {}))


def _json(body: object, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, dict(headers or {}), "application/json")


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail
    if isinstance(detail, dict) and {"code", "message"} <= detail.keys():
        body = error_body(str(detail["code"]), str(detail["message"]), detail.get("pointer", ""))
    else:
        code = STATUS_CODES.get(error.status_code, f"http_{error.status_code}")
        body = error_body(code, str(detail))
    return _json(body, error.status_code, error.headers)


def validation_body(errors: list[Any]) -> dict[str, str]:
    """FastAPI's validation errors as one body: the first, with the count of the rest."""
    first = errors[0]
    where, *rest = [str(part) for part in first.get("loc", ("request",))] or ["request"]
    pointer = "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in [where, *rest])
    name = ".".join(rest) or where
    message = f"{where} parameter {name!r}: {first.get('msg', 'invalid')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return error_body(f"invalid_{where}", message, pointer)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return _json(validation_body(list(error.errors())), 422)  # no input echoed: it may be PII


def install_error_handlers(app: FastAPI) -> None:
    """Answer HTTP and validation errors (unknown routes too) with the one error body."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


def _error_answers(operation: dict[str, Any]) -> None:
    for status, answer in operation.get("responses", {}).items():
        if str(status)[0] not in "45":
            continue
        content = answer.setdefault("content", {})
        json_content = content.get("application/json", {})
        schema = json_content.get("schema", {})
        if not schema or schema.get("$ref", "").endswith("/HTTPValidationError"):
            content["application/json"] = {**json_content, "schema": ERROR_REF}


SecurityOf = Callable[[str], list[dict[str, list[str]]] | None]


def unify_openapi(
    spec: dict[str, Any], schemes: Mapping[str, dict[str, Any]], security_of: SecurityOf
) -> dict[str, Any]:
    """Every error answer with the one schema; the security schemes declared and required by
    the operations `security_of(path)` names them for; FastAPI's validation schemas dropped."""
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    if schemes:
        components.setdefault("securitySchemes", {}).update(schemes)
    for path, item in spec.get("paths", {}).items():
        security = security_of(path)
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                _error_answers(operation)
                if security is not None:
                    operation["security"] = security
    return spec


def install_error_format(
    app: FastAPI,
    schemes: Mapping[str, dict[str, Any]] | None = None,
    security_of: SecurityOf = lambda path: None,
) -> None:
    """The one error body for the app's answers and in its OpenAPI spec (call it last)."""
    install_error_handlers(app)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = unify_openapi(build(), schemes or {}, security_of)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""Both services answer every error as `{code, message, pointer}` and their OpenAPI says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.ingest.app import create_app as create_ingest
from services.query.app import create_app as create_query
from services.settings import DEV_READ_TOKEN, Settings
from tests.support.ingest import app_client

READ = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}


@pytest.fixture
async def query(database_url: str, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=database_url, kafka_bootstrap=kafka_bootstrap)
    async with app_client(create_query(settings)) as http:
        yield http


@pytest.fixture
async def ingest(kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_ingest(Settings(kafka_bootstrap=kafka_bootstrap))) as http:
        yield http


def error_of(answer: httpx.Response, status: int) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"code", "message", "pointer"}, body
    assert all(isinstance(value, str) for value in body.values()), body
    return body


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"month": "2024-13"}, "/query/month"),  # FastAPI's own validation (pattern)
        ({"month": "0001-01"}, "/query/month"),  # the route's own check
        ({}, "/query/month"),  # missing
    ],
)
async def test_an_invalid_query_parameter_is_named_by_its_pointer(
    query: httpx.AsyncClient, params: dict[str, str], pointer: str
) -> None:
    body = error_of(await query.get("/v1/health-check", params=params, headers=READ), 422)
    assert (body["code"], body["pointer"]) == ("invalid_query", pointer)
    assert "'month'" in body["message"]


async def test_a_searched_email_is_not_echoed_in_a_validation_error(
    query: httpx.AsyncClient,
) -> None:
    answer = await query.get("/v1/leads", params={"q": "ann@example.com" * 40}, headers=READ)
    body = error_of(answer, 422)
    assert body["pointer"] == "/query/q" and "ann@example.com" not in answer.text


async def test_query_auth_not_found_and_unknown_routes_answer_the_one_body(
    query: httpx.AsyncClient,
) -> None:
    missing = await query.get("/v1/leads")
    assert error_of(missing, 401)["code"] == "unauthorized"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = await query.get("/v1/leads", headers={"Authorization": "Bearer nope"})
    assert error_of(wrong, 403)["code"] == "forbidden"
    assert error_of(await query.get("/v1/leads/nobody", headers=READ), 404)["code"] == "not_found"
    assert error_of(await query.get("/no/such/route"), 404)["code"] == "not_found"
    assert error_of(await query.post("/v1/leads", headers=READ), 405)["code"] == (
        "method_not_allowed"
    )


async def test_ingest_unknown_routes_answer_like_its_rejections(
    ingest: httpx.AsyncClient,
) -> None:
    assert error_of(await ingest.get("/no/such/route"), 404)["code"] == "not_found"
    assert error_of(await ingest.get("/v1/track"), 405)["code"] == "method_not_allowed"
    refused = error_of(await ingest.post("/v1/track", json={"event": "x"}), 401)
    assert refused["code"] == "unauthorized"


def _error_refs(spec: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    return {
        (path, method, status): answer["content"]["application/json"]["schema"]
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        for status, answer in operation["responses"].items()
        if status[0] in "45"
    }


async def test_both_specs_declare_the_error_schema_and_their_security_schemes(
    query: httpx.AsyncClient, ingest: httpx.AsyncClient
) -> None:
    query_spec = (await query.get("/openapi.json")).json()
    ingest_spec = (await ingest.get("/openapi.json")).json()
    for spec in (query_spec, ingest_spec):
        assert "HTTPValidationError" not in spec["components"]["schemas"]
        assert spec["components"]["schemas"]["Error"]["required"] == ["code", "message", "pointer"]
        errors = _error_refs(spec)
        probes = {key for key in errors if key[0] in ("/healthz", "/readyz")}
        assert {key: errors[key] for key in errors.keys() - probes} == {
            key: {"$ref": "#/components/schemas/Error"} for key in errors.keys() - probes
        }
    assert query_spec["components"]["securitySchemes"]["readToken"]["scheme"] == "bearer"
    assert ingest_spec["components"]["securitySchemes"]["writeKey"]["scheme"] == "basic"
    leads = query_spec["paths"]["/v1/leads"]["get"]
    assert leads["security"] == [{"readToken": []}]
    assert {"401", "403", "422"} <= leads["responses"].keys()
    track = ingest_spec["paths"]["/v1/track"]["post"]
    assert {"writeKey": []} in track["security"]
    assert {"401", "403", "429"} <= track["responses"].keys()
    assert "security" not in ingest_spec["paths"]["/v1/channels/wechat/{appid}"]["post"]

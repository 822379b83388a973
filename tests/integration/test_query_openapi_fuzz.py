"""Schemathesis generates requests from the query OpenAPI spec: no 5xx, answers fit the spec."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.query.app import create_app
from services.settings import DEV_READ_TOKEN, Settings
from tests.integration.fuzzing import fuzz_service
from tests.support.ingest import serving

AUTH = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}


@pytest.fixture(scope="module")
def query_url(kafka_bootstrap: str, database_url: str) -> Iterator[str]:
    settings = Settings(kafka_bootstrap=kafka_bootstrap, database_url=database_url)
    with serving(create_app(settings), "query") as url:
        yield url


def test_no_generated_request_gets_a_server_error_or_an_answer_off_its_schema(
    query_url: str,
) -> None:
    fuzz_service(query_url, AUTH, at_least=8)

"""Schemathesis generates requests from the query OpenAPI spec: no 5xx, answers fit the spec."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.query.app import create_app
from services.settings import DEV_READ_TOKEN, Settings
from tests.e2e.conftest import free_port

AUTH = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
EXAMPLES_PER_OPERATION_AND_MODE = int(
    os.environ.get("LEADFUNNEL_FUZZ_EXAMPLES", "15")
)  # more: a deeper run


@pytest.fixture(scope="module")
def query_url(kafka_bootstrap: str, database_url: str) -> Iterator[str]:
    app = create_app(Settings(kafka_bootstrap=kafka_bootstrap, database_url=database_url))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "query did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def _fuzz(operation: Any, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            headers=AUTH,
            checks=[
                not_a_server_error,
                response_schema_conformance,
                status_code_conformance,
                content_type_conformance,
            ],
            timeout=20,
        )

    run()


def test_no_generated_request_gets_a_server_error_or_an_answer_off_its_schema(
    query_url: str,
) -> None:
    schema = schemathesis.openapi.from_url(f"{query_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:
        _fuzz(operation, GenerationMode.POSITIVE)
        if len(operation.query) or len(operation.path_parameters):  # else no invalid form
            _fuzz(operation, GenerationMode.NEGATIVE)

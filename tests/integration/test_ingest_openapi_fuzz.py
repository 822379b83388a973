"""Schemathesis generates requests from the ingest OpenAPI spec: no 5xx, answers fit the spec."""

from __future__ import annotations

import os
from base64 import b64encode
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.settings import WriteKey, sha256_hex
from tests.integration.test_ingest_support import own_topics, running_ingest

FUZZ_KEY = "wk_test_fuzz"  # its own key with a high rate, so no request is rate-limited away
AUTH = {"Authorization": "Basic " + b64encode(f"{FUZZ_KEY}:".encode()).decode()}
EXAMPLES_PER_OPERATION_AND_MODE = int(os.environ.get("LEADFUNNEL_FUZZ_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def ingest_url(kafka_bootstrap: str) -> Iterator[str]:
    base = own_topics(kafka_bootstrap)
    fuzz = WriteKey(name="fuzz", sha256=sha256_hex(FUZZ_KEY), rate_per_second=100_000)
    with running_ingest(base.model_copy(update={"write_keys": [fuzz]})) as url:
        yield url


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


def test_no_generated_request_gets_a_server_error(ingest_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{ingest_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:
        _fuzz(operation, GenerationMode.POSITIVE)
        if operation.method.upper() == "POST":  # GETs without parameters have no invalid form
            _fuzz(operation, GenerationMode.NEGATIVE)

"""Schemathesis over a running service's OpenAPI spec: no 5xx, and every answer as declared."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# LEADFUNNEL_FUZZ_EXAMPLES raises the count for a deeper run by hand
EXAMPLES_PER_OPERATION_AND_MODE = int(os.environ.get("LEADFUNNEL_FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=20)

    run()


def fuzz_service(base_url: str, headers: dict[str, str], at_least: int) -> None:
    """Valid and invalid requests for every operation the spec declares (at least `at_least`)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= at_least, [op.path for op in operations]
    for operation in operations:
        _fuzz(operation, GenerationMode.POSITIVE, headers)
        if len(operation.query) or len(operation.path_parameters) or operation.body:
            _fuzz(operation, GenerationMode.NEGATIVE, headers)  # else there is no invalid form

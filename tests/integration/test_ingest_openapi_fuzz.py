"""Schemathesis generates requests from the ingest OpenAPI spec: no 5xx, answers fit the spec."""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Iterator

import pytest

from services.settings import WriteKey, sha256_hex
from tests.integration.fuzzing import fuzz_service
from tests.support.ingest import own_topics, running_ingest

FUZZ_KEY = "wk_test_fuzz"  # its own key with a high rate, so no request is rate-limited away
AUTH = {"Authorization": "Basic " + b64encode(f"{FUZZ_KEY}:".encode()).decode()}


@pytest.fixture(scope="module")
def ingest_url(kafka_bootstrap: str) -> Iterator[str]:
    base = own_topics(kafka_bootstrap)
    fuzz = WriteKey(name="fuzz", sha256=sha256_hex(FUZZ_KEY), rate_per_second=100_000)
    with running_ingest(base.model_copy(update={"write_keys": [fuzz]})) as url:
        yield url


def test_no_generated_request_gets_a_server_error_or_an_answer_off_its_schema(
    ingest_url: str,
) -> None:
    fuzz_service(ingest_url, AUTH, at_least=14)

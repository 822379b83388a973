"""The scoring worker's score view answers errors in the services' one body (code, message,
pointer), as ingest and query do."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson

from scoring.wiring import scoring_config
from scoring.worker.web import _auth_failure, lead_score
from services.settings import DEV_READ_TOKEN, Settings


class FakeWeb:
    """Faust's web facade: what `bytes` was asked to answer."""

    def bytes(self, body: bytes, content_type: str, status: int, headers: Any) -> Any:
        return SimpleNamespace(body=orjson.loads(body), status=status, headers=headers)


def worker(**reads: Any) -> Any:
    config = scoring_config(Settings.model_construct())
    return SimpleNamespace(config=config, read_lead=lambda lead_id: reads.get(lead_id))


def request(authorization: str) -> Any:
    return SimpleNamespace(headers={"Authorization": authorization} if authorization else {})


def test_an_unknown_lead_is_a_404_in_the_one_error_body() -> None:
    status, body = lead_score(worker(), "nobody")
    assert status == 404 and body == {
        "code": "not_found",
        "message": "no lead nobody",
        "pointer": "",
    }


def test_a_missing_or_wrong_token_is_401_or_403_in_the_one_error_body() -> None:
    missing = _auth_failure(worker(), FakeWeb(), request(""))
    wrong = _auth_failure(worker(), FakeWeb(), request("Bearer not-a-read-token"))
    right = _auth_failure(worker(), FakeWeb(), request(f"Bearer {DEV_READ_TOKEN}"))
    assert (missing.status, missing.body["code"]) == (401, "unauthorized")
    assert missing.headers == {"WWW-Authenticate": "Bearer"}
    assert (wrong.status, wrong.body["code"], wrong.body["pointer"]) == (403, "forbidden", "")
    assert right is None

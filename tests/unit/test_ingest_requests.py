"""Request-level rules: write keys, rate limits, body decoding, batch unpacking, JSON pointers."""

from __future__ import annotations

import gzip
from base64 import b64encode

import orjson
import pytest

from services.ingest.answers import answer
from services.ingest.auth import KeyRing, check_channel, presented_key
from services.ingest.body import gunzip, parse_json
from services.ingest.ratelimit import RateLimiter
from services.ingest.rejections import Rejection, pointer
from services.ingest.unpack import array, object_or_list, segment_batch_fields, single
from services.settings import DEV_WRITE_KEY, WriteKey, sha256_hex

WECHAT_ONLY = WriteKey(
    name="wx", sha256=sha256_hex("wk_wx"), channels=["wechat"], rate_per_second=10
)


def basic(user: str, password: str = "") -> str:
    return "Basic " + b64encode(f"{user}:{password}".encode()).decode()


def test_write_key_is_the_basic_user_name_or_a_bearer_token() -> None:
    assert presented_key(basic(DEV_WRITE_KEY)) == DEV_WRITE_KEY
    assert presented_key(f"Bearer {DEV_WRITE_KEY}") == DEV_WRITE_KEY
    assert presented_key(None) is None


@pytest.mark.parametrize(
    "header", ["Basic !!!", "Digest abc", "Basic " + b64encode(b"\xff").decode()]
)
def test_malformed_authorization_is_a_401(header: str) -> None:
    got = presented_key(header)
    assert isinstance(got, Rejection) and got.status == 401


def test_keys_are_looked_up_by_digest_and_unknown_keys_are_401_without_echo() -> None:
    ring = KeyRing([WECHAT_ONLY])
    assert ring.authenticate("wk_wx") == WECHAT_ONLY
    unknown = ring.authenticate("wk_guess")
    assert isinstance(unknown, Rejection) and unknown.status == 401
    assert "wk_guess" not in unknown.message
    missing = ring.authenticate(None)
    assert isinstance(missing, Rejection) and missing.code == "unauthorized"


def test_a_key_may_post_only_its_channels() -> None:
    assert check_channel(WECHAT_ONLY, "wechat") is None
    refused = check_channel(WECHAT_ONLY, "website")
    assert refused and (refused.status, refused.code, refused.pointer) == (
        403,
        "forbidden_channel",
        "/channel",
    )


def test_rate_limit_admits_the_burst_then_answers_429_with_retry_after() -> None:
    now = [0.0]
    limiter = RateLimiter(burst_seconds=2, clock=lambda: now[0])
    assert limiter.admit_now(WECHAT_ONLY, 20, None) is None
    refused = limiter.admit_now(WECHAT_ONLY, 5, None)
    assert refused and refused.status == 429 and refused.retry_after == 1
    now[0] = 0.5
    assert limiter.admit_now(WECHAT_ONLY, 5, None) is None


def test_rate_limits_are_per_key() -> None:
    limiter = RateLimiter(burst_seconds=1, clock=lambda: 0.0)
    other = WECHAT_ONLY.model_copy(update={"name": "other"})
    assert limiter.admit_now(WECHAT_ONLY, 10, None) is None
    assert limiter.admit_now(other, 10, None) is None


def test_one_client_address_cannot_drain_a_public_key_for_everyone() -> None:
    limiter = RateLimiter(burst_seconds=1, clock=lambda: 0.0)
    public = WECHAT_ONLY.model_copy(
        update={"rate_per_second": 100.0, "rate_per_address_per_second": 5.0}
    )
    assert limiter.admit_now(public, 5, "203.0.113.7") is None
    refused = limiter.admit_now(public, 1, "203.0.113.7")
    assert refused and refused.status == 429 and "client address" in refused.message
    assert limiter.admit_now(public, 5, "198.51.100.2") is None  # another visitor still posts
    assert limiter.admit_now(public, 5, None) is None  # no address known: the key's limit only


def test_a_batch_larger_than_the_burst_waits_for_a_full_bucket() -> None:
    limiter = RateLimiter(burst_seconds=1, clock=lambda: 0.0)
    assert limiter.admit_now(WECHAT_ONLY, 500, None) is None


def test_gzip_bodies_are_inflated_within_the_limit() -> None:
    assert gunzip(gzip.compress(b'{"a":1}'), 100) == b'{"a":1}'


def test_gzip_bombs_are_413_not_inflated() -> None:
    got = gunzip(gzip.compress(b" " * 1_000_000), 1000)
    assert isinstance(got, Rejection) and got.status == 413


def test_invalid_gzip_is_a_400() -> None:
    got = gunzip(b"not gzip", 100)
    assert isinstance(got, Rejection) and got.status == 400


def test_malformed_json_is_a_400_saying_where() -> None:
    got = parse_json(b'{"a": }')
    assert isinstance(got, Rejection) and got.code == "malformed_json" and "column" in got.message


def test_single_endpoints_need_an_object() -> None:
    assert single({"a": 1}) == [("", {"a": 1})]
    got = single([1])
    assert isinstance(got, Rejection) and got.pointer == ""


def test_batch_items_are_addressed_by_pointer_and_oversized_ones_refused_alone() -> None:
    items = array("batch", limit=50)({"batch": [{"a": 1}, {"a": "x" * 100}, 3]})
    assert not isinstance(items, Rejection)
    assert [where for where, _ in items] == ["/batch/0", "/batch/1", "/batch/2"]
    assert items[0][1] == {"a": 1}
    assert isinstance(items[1][1], Rejection) and items[1][1].code == "event_too_large"
    assert isinstance(items[2][1], Rejection) and items[2][1].code == "invalid_value"


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "missing_field"), ({"batch": {}}, "invalid_value"), ([], "invalid_value")],
)
def test_batch_body_must_hold_an_array(body: object, code: str) -> None:
    got = array("batch", limit=50)(body)
    assert isinstance(got, Rejection) and got.code == code


def test_crm_takes_one_object_or_a_list() -> None:
    assert object_or_list(100)({"a": 1}) == [("", {"a": 1})]
    assert object_or_list(100)([{"a": 1}, {"b": 2}]) == [("/0", {"a": 1}), ("/1", {"b": 2})]


def test_batch_sent_at_and_context_apply_to_each_call() -> None:
    body = {"sentAt": "t", "context": {"ip": "1", "locale": "zh"}}
    merged = segment_batch_fields(body, {"event": "x", "context": {"locale": "en"}})
    assert merged == {"event": "x", "sentAt": "t", "context": {"ip": "1", "locale": "en"}}


def test_json_pointer_tokens_are_escaped() -> None:
    assert pointer("properties", "a/b", "c~d", 0) == "/properties/a~1b/c~0d/0"
    assert Rejection("x", "/url", "m").under("/batch/2").pointer == "/batch/2/url"


def test_cached_partitioner_places_keys_like_the_default_one() -> None:
    from aiokafka.partitioner import DefaultPartitioner

    from services.ingest.publisher import partition_for

    partitions = [0, 1, 2, 3]
    for key in (b"user:u-1", b"anon:a-7", b"email:" + b"0" * 64, b""):
        expected = DefaultPartitioner()(key, partitions, partitions)
        assert partition_for(key, partitions, partitions) == expected
        assert partition_for(key, partitions, partitions) == expected  # cached


def test_a_batch_with_every_event_rejected_answers_code_message_and_pointer_at_the_top() -> None:
    first = Rejection("missing_field", "/userId", "/userId: Field required").under("/batch/0")
    second = Rejection("invalid_value", "/type", "/type: bad").under("/batch/1")

    answered = orjson.loads(answer(True, [first, second]).body)

    assert (answered["code"], answered["pointer"]) == ("missing_field", "/batch/0/userId")
    assert answered["message"].startswith("no event accepted")
    assert [r["pointer"] for r in answered["results"]] == ["/batch/0/userId", "/batch/1/type"]

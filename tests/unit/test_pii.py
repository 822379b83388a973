"""Emails and phones are normalised, then hashed with the server's key; raw values never kept."""

from __future__ import annotations

import pytest

from services.pii import PiiHasher, keyed_hash, normalize_email, normalize_phone, pii_in, scrub


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Li.Wei@Example.CN \n") == "li.wei@example.cn"


@pytest.mark.parametrize("raw", ["", "no-at-sign", "@example.cn", "a@localhost", "a b@c.cn"])
def test_strings_that_are_not_emails_are_refused(raw: str) -> None:
    assert normalize_email(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "+86 138-0013-8000",
        "008613800138000",
        "１３８００１３８０００",
    ],
)
def test_chinese_mobile_numbers_normalise_to_e164_with_default_region(raw: str) -> None:
    assert normalize_phone(raw, "CN") == "+8613800138000"


def test_numbers_with_a_country_code_ignore_the_default_region() -> None:
    assert normalize_phone("+1 (415) 555-2671", "CN") == "+14155552671"


def test_default_region_is_configurable() -> None:
    assert normalize_phone("(415) 555-2671", "US") == "+14155552671"


@pytest.mark.parametrize("raw", ["", "abc", "12", "+86 1"])
def test_strings_that_cannot_be_phone_numbers_are_refused(raw: str) -> None:
    assert normalize_phone(raw, "CN") is None


def test_hash_is_hmac_sha256_keyed_by_the_server_secret() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"secret", b"a@b.cn", hashlib.sha256).hexdigest()
    assert keyed_hash("secret", "a@b.cn") == expected
    assert keyed_hash("other", "a@b.cn") != expected


def test_spellings_of_one_address_hash_alike_and_never_contain_the_raw_value() -> None:
    hasher = PiiHasher("s3cret", "CN")
    first, second = hasher.email_hash(" A@B.cn"), hasher.email_hash("a@b.CN ")
    assert first == second and first is not None and len(first) == 64 and "a@b" not in first
    assert hasher.phone_hash("138 0013 8000") == hasher.phone_hash("+8613800138000")


def test_invalid_values_have_no_hash() -> None:
    hasher = PiiHasher("s3cret")
    assert hasher.email_hash("nope") is None and hasher.phone_hash("nope") is None


def test_scrub_removes_pii_keys_at_any_depth() -> None:
    data = {"Email": "x@y.cn", "plan": "pro", "nested": [{"phone": "1", "ok": 1}], "tel": "2"}
    assert scrub(data) == {"plan": "pro", "nested": [{"ok": 1}]}


def test_pii_in_finds_the_first_email_and_phone_under_any_spelling() -> None:
    assert pii_in({"E_Mail": "a@b.cn", "mobile": 13800138000, "x": 1}) == {
        "email": "a@b.cn",
        "phone": "13800138000",
    }

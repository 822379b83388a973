"""What a search text may be: identity keys hashed exactly as ingest hashes them."""

from __future__ import annotations

from services.pii import PiiHasher
from services.query.search import search_keys

HASHER = PiiHasher("test-secret", "CN")


def test_an_email_is_found_by_the_hash_of_its_normalised_form() -> None:
    keys = search_keys("  Li@Example.CN ", HASHER, [])
    assert f"email:{HASHER.email_hash('li@example.cn')}" in keys
    assert "crm:Li@Example.CN" in keys  # also tried as an id, trimmed


def test_a_phone_is_found_however_it_is_spaced() -> None:
    expected = f"phone:{HASHER.phone_hash('+8613800138000')}"
    assert expected in search_keys("138 0013 8000", HASHER, [])
    assert expected in search_keys("+86-138-0013-8000", HASHER, [])


def test_an_openid_is_tried_under_every_configured_account() -> None:
    keys = search_keys("oAbc123", HASHER, ["wx1234567890"])
    assert {"wx_open:-/oAbc123", "wx_open:wx1234567890/oAbc123"} <= set(keys)
    assert not any(key.startswith(("email:", "phone:")) for key in keys)


def test_blank_text_matches_nothing() -> None:
    assert search_keys("   ", HASHER, []) == []

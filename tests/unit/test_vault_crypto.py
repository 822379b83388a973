"""The vault's crypto: AES-GCM round trips, wrong keys fail, wrapped keys, the blind index."""

from __future__ import annotations

import base64

import pytest

from services.query.contacts import without_contact_traits
from services.settings import DEV_PII_MASTER_KEY
from services.vault.contact import Contact, build_contact, contact_in, scrub_contact
from services.vault.crypto import (
    SealError,
    company_index,
    company_query_token,
    master_key_bytes,
    new_data_key,
    new_key_id,
    seal,
    unseal,
    unwrap_key,
    wrap_key,
)
from services.vault.keys import MasterKeys, subject_of

SECRET = "test-secret"


def test_sealed_contact_opens_under_its_key_and_holds_no_plaintext() -> None:
    key, key_id = new_data_key(), new_key_id()
    contact = Contact(name="Zhang Wei", email="zhang.wei@example.cn", company="Acme 机械")
    sealed = seal(key, key_id, contact.to_bytes())
    assert "Zhang" not in sealed and "example" not in sealed
    assert Contact.from_bytes(unseal(key, key_id, sealed)) == contact


def test_a_ciphertext_does_not_open_under_another_key_or_key_id() -> None:
    key, key_id = new_data_key(), new_key_id()
    sealed = seal(key, key_id, b'{"name":"x"}')
    with pytest.raises(SealError):
        unseal(new_data_key(), key_id, sealed)
    with pytest.raises(SealError):
        unseal(key, new_key_id(), sealed)  # bound to its key id: rows cannot be swapped
    with pytest.raises(SealError):
        unseal(key, key_id, sealed[:-4] + ("A" if sealed[-4] != "A" else "B") + sealed[-3:])


def test_two_seals_of_the_same_contact_differ() -> None:
    key, key_id = new_data_key(), new_key_id()
    assert seal(key, key_id, b"same") != seal(key, key_id, b"same")


def test_wrapped_data_key_unwraps_only_under_its_master_key() -> None:
    master, other = new_data_key(), new_data_key()
    dek, key_id = new_data_key(), new_key_id()
    wrapped = wrap_key(master, key_id, dek)
    assert dek not in wrapped
    assert unwrap_key(master, key_id, wrapped) == dek
    with pytest.raises(SealError):
        unwrap_key(other, key_id, wrapped)


def test_retired_master_keys_still_unwrap_by_their_fingerprint() -> None:
    old = base64.b64encode(new_data_key()).decode()
    new = base64.urlsafe_b64encode(new_data_key()).decode()
    before = MasterKeys.from_settings(old)
    dek, key_id = new_data_key(), new_key_id()
    wrapped = wrap_key(before.current, key_id, dek)
    after = MasterKeys.from_settings(new, [old])
    assert after.unwrap(key_id, wrapped, before.current_id) == dek
    with pytest.raises(SealError):
        MasterKeys.from_settings(new).unwrap(key_id, wrapped, before.current_id)


def test_master_key_must_be_32_bytes_of_base64() -> None:
    assert len(master_key_bytes(DEV_PII_MASTER_KEY)) == 32
    for bad in ("short", base64.b64encode(b"x" * 16).decode(), "!!!"):
        with pytest.raises(ValueError, match="master key"):
            master_key_bytes(bad)


def test_company_prefixes_match_case_and_width_insensitively() -> None:
    tokens = set(company_index(SECRET, "  Acme  Robotics GmbH"))
    assert company_query_token(SECRET, "ac") in tokens
    assert company_query_token(SECRET, "ACME ROB") in tokens
    assert company_query_token(SECRET, "ＡＣＭＥ") in tokens  # full-width, as typed on zh keyboards
    assert company_query_token(SECRET, "acme robotics gmbh") in tokens
    assert company_query_token(SECRET, "cme") not in tokens  # prefixes only
    assert company_query_token(SECRET, "a") is None  # one character is not indexed
    assert company_query_token("other-secret", "acme") not in tokens  # keyed


def test_chinese_company_names_are_indexed_from_two_characters() -> None:
    tokens = set(company_index(SECRET, "深圳市腾飞科技有限公司"))
    assert company_query_token(SECRET, "深圳") in tokens
    assert len(tokens) == len("深圳市腾飞科技有限公司") - 1


def test_blind_index_tokens_do_not_show_the_name() -> None:
    assert all("acme" not in token for token in company_index(SECRET, "acme"))


def test_contact_is_read_from_form_answers_and_segment_traits() -> None:
    traits = {"firstName": "Wei", "lastName": "Zhang", "company": {"name": "Acme"}, "title": "CTO"}
    traits["address"] = {"city": "Shenzhen"}
    assert contact_in(traits) == {
        "name": "Wei Zhang",
        "company": "Acme",
        "job_title": "CTO",
        "city": "Shenzhen",
    }
    contact = build_contact({"email": " Wei@Example.CN ", "phone": "138"}, contact_in(traits))
    assert contact is not None
    assert (contact.email, contact.phone, contact.name) == ("wei@example.cn", "138", "Wei Zhang")
    assert build_contact({}, {}) is None


def test_scrubbed_traits_keep_no_contact_keys() -> None:
    traits = {"Name": "x", "company": "y", "plan": "pro", "Email": "a@b.cn", "city": "z"}
    assert scrub_contact(traits) == {"plan": "pro"}


def test_newer_contact_fields_win_and_gaps_fill_from_older() -> None:
    newer, older = Contact(name="New"), Contact(name="Old", company="Acme")
    assert newer.over(older) == Contact(name="New", company="Acme")


def test_subjects_are_keyed_hashes_of_identity_keys() -> None:
    subject = subject_of(SECRET, "crm:C-1")
    assert len(subject) == 64 and "C-1" not in subject
    assert subject != subject_of("other", "crm:C-1")


def test_timeline_traits_of_pre_vault_events_lose_their_contact_keys() -> None:
    old = {"traits": {"name": "Li Wei", "company": "ACME", "plan": "pro"}, "url": "x"}
    assert without_contact_traits(old) == {"traits": {"plan": "pro"}, "url": "x"}
    assert without_contact_traits({"url": "x"}) == {"url": "x"}

"""Poison records: the storable-string rule, and isolating the one record a batch write refuses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.model.ordering import Held, release
from alerts.model.signals import Rejected as AlertsRejected
from alerts.model.signals import Source as AlertsSource
from alerts.model.signals import TierChanged
from alerts.model.signals import decode as alerts_decode
from funnel.model.projection import Rejected, Source, SourceRecord, decode
from runtime import poison
from schemas.outgoing import Tier
from schemas.storable import (
    MAX_DEPTH,
    RECORD_MAX_DEPTH,
    may_hold_nul,
    unstorable,
    unstorable_record,
)
from services.ingest.body import parse_json, parse_storable_json, unstorable_value
from services.ingest.rejections import Rejection

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=20,
)


def test_u0000_in_a_key_is_named_by_its_pointer() -> None:
    found = unstorable({"type": "identify", "userId": "x", "context": {"a\u0000b": []}})
    assert found == ("/context/a\u0000b", "U+0000 in a key")


def test_u0000_and_lone_surrogates_in_values_are_named_by_their_pointer() -> None:
    assert unstorable({"p": {"a/b": ["ok", "x\u0000"]}}) == ("/p/a~1b/1", "U+0000")
    assert unstorable({"p": ["\ud800"]}) == ("/p/0", "a lone surrogate")
    assert unstorable({"p": ["😀", "中文", "\t\n"]}) is None


@given(json_values)
def test_json_without_u0000_is_storable_and_any_u0000_is_found(value: object) -> None:
    encoded = orjson.dumps(value)
    assert (unstorable(value) is None) == (b"\\u0000" not in encoded)
    assert may_hold_nul(encoded) == (b"\\u0000" in encoded)


@given(json_values, st.text(max_size=5))
def test_a_u0000_planted_anywhere_is_found_where_it_was_planted(value: object, key: str) -> None:
    planted = {"outer": [value, {key + "\u0000": 1}]}
    if unstorable(value) is None:
        where, _ = unstorable(planted) or ("", "")
        assert where.startswith("/outer/1/")


def test_a_record_is_checked_only_when_its_bytes_can_hold_u0000() -> None:
    assert unstorable_record(b'{"a": "\\u0000"}') == ("/a", "U+0000")
    assert unstorable_record(b'{"a": "\\\\u0000"}') is None  # an escaped backslash, then text
    assert unstorable_record(b"not json \\u0000") is None
    assert unstorable_record(None) is None


def test_ingest_refuses_unstorable_bodies_with_a_400_naming_the_field() -> None:
    refused = parse_storable_json(b'{"type":"identify","userId":"x","context":{"a\\u0000b":[]}}')
    assert isinstance(refused, Rejection)
    assert (refused.status, refused.code, refused.pointer) == (
        400,
        "invalid_value",
        "/context/a\u0000b",
    )
    assert "\\u0000" in refused.message and "\x00" not in refused.message
    assert parse_storable_json(b'{"ok": "\\\\u0000"}') == {"ok": "\\u0000"}
    assert unstorable_value({"fine": ["text"]}) is None


def test_the_projector_and_the_alerts_worker_reject_an_unstorable_record_on_decode() -> None:
    value = orjson.dumps({"lead_id": "lead_1", "event": {"context": {"a\u0000": 1}}})
    got = decode(SourceRecord(Source.LEAD_EVENTS, "t", 0, 7, value))
    assert isinstance(got, Rejected)
    assert got.field == "/event/context/a\u0000" and "U+0000" in got.reason
    assert isinstance(alerts_decode(AlertsSource.LEAD_EVENTS, value), AlertsRejected)


def test_data_errors_are_permanent_and_connection_errors_are_not() -> None:
    assert poison.is_permanent(asyncpg.CharacterNotInRepertoireError("0x00"))
    assert poison.is_permanent(asyncpg.UntranslatableCharacterError("\\u0000"))
    assert poison.is_permanent(asyncpg.UniqueViolationError("dup"))
    assert poison.is_permanent(ValueError("bad"))
    assert not poison.is_permanent(asyncpg.ConnectionDoesNotExistError("gone"))
    assert not poison.is_permanent(asyncpg.UndefinedTableError("no table"))
    assert not poison.is_permanent(OSError("refused"))
    assert not poison.is_permanent(asyncpg.InterfaceError("closed"))


class FakeStore:
    """A write that refuses any run containing a poisoned item, as a database transaction does."""

    def __init__(self, poisoned: set[int], error: BaseException | None = None) -> None:
        self.poisoned = poisoned
        self.error = error or asyncpg.CharacterNotInRepertoireError("0x00")
        self.written: list[int] = []
        self.skipped: list[int] = []

    async def attempt(self, run: Sequence[int]) -> None:
        if self.poisoned & set(run):
            raise self.error
        self.written.extend(run)

    async def skip(self, item: int, error: BaseException) -> None:
        assert error is self.error
        self.skipped.append(item)


@given(st.integers(1, 60), st.sets(st.integers(0, 59), max_size=6))
async def test_isolate_writes_every_good_item_in_order_and_skips_only_the_poisoned(
    size: int, bad: set[int]
) -> None:
    items = list(range(size))
    store = FakeStore({i for i in bad if i < size})
    failed = await poison.isolate(items, store.attempt, store.skip)
    assert store.written == [i for i in items if i not in store.poisoned]
    assert store.skipped == sorted(store.poisoned)
    assert failed == len(store.poisoned)


async def test_isolate_lets_transient_errors_through_without_skipping() -> None:
    store = FakeStore({3}, error=asyncpg.ConnectionDoesNotExistError("gone"))
    with pytest.raises(asyncpg.ConnectionDoesNotExistError):
        await poison.isolate(list(range(8)), store.attempt, store.skip)
    assert store.skipped == [] and store.written == []


async def test_a_clean_batch_is_written_in_one_attempt() -> None:
    calls: list[Sequence[int]] = []

    async def attempt(run: Sequence[int]) -> None:
        calls.append(run)

    async def skip(item: int, error: BaseException) -> None:
        raise AssertionError("nothing to skip")

    assert await poison.isolate([1, 2, 3], attempt, skip) == 0
    assert calls == [[1, 2, 3]]


def test_a_dead_letter_names_its_source_position_consumer_and_reason() -> None:
    letter = poison.dead_letter(
        poison.Poisoned("lead-events", 2, 41, b'{"a":"\\u0000"}', "refused: 0x00", "/a"),
        "projector:funnel",
    )
    assert (letter.source, letter.partition, letter.offset, letter.field) == (
        "lead-events",
        2,
        41,
        "/a",
    )
    assert letter.reason == "projector:funnel: refused: 0x00"
    assert letter.payload == '{"a":"\\u0000"}'


def test_release_hands_over_its_records_in_the_order_their_signals_fold() -> None:
    def at(day: int) -> TierChanged:
        return TierChanged("lead_1", datetime(2026, 1, day, tzinfo=UTC), Tier.MQL)

    held = {"a": [Held(3, ()), Held(4, (at(5),))], "b": [Held(9, (at(2),)), Held(10, (at(7),))]}
    got = release(held, ["a", "b"], settled={"a", "b"})
    assert [(key, h.offset) for key, h in got.records] == [("a", 3), ("b", 9), ("a", 4), ("b", 10)]
    assert [s for _, h in got.records for s in h.signals] == got.signals
    assert got.positions == {"a": 5, "b": 11}


def nested(levels: int) -> dict[str, object]:
    """An object `levels` deep, itself counting as one."""
    value: dict[str, object] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 200, 300, 1000])
def test_ingest_names_the_depth_limit_at_every_depth_past_it(levels: int) -> None:
    inner = b'{"a":' * (levels - 2) + b"{}" + b"}" * (levels - 2)  # past orjson's encoder
    refused = parse_storable_json(b'{"userId": "u", "properties": ' + inner + b"}")
    assert isinstance(refused, Rejection) and refused.status == 400
    assert refused.code == "invalid_value" and f"deeper than {MAX_DEPTH} levels" in refused.message
    assert refused.pointer == "/properties" + "/a" * (MAX_DEPTH - 1)


def test_ingest_accepts_an_event_exactly_at_the_depth_limit() -> None:
    body = orjson.dumps({"userId": "u", "properties": nested(MAX_DEPTH - 1)})
    assert not isinstance(parse_storable_json(body), Rejection)


def test_a_body_past_the_parsers_own_limit_names_ours() -> None:
    refused = parse_json(b"[" * 5000 + b"]" * 5000)
    assert isinstance(refused, Rejection) and f"deeper than {MAX_DEPTH}" in refused.message


def test_consumers_allow_the_envelopes_room_and_refuse_deeper_records() -> None:
    wrapped = {"lead_id": "l", "event": {"context": {"extra_properties": nested(MAX_DEPTH)}}}
    assert unstorable_record(orjson.dumps(wrapped)) is None
    too_deep = {"lead_id": "l", "event": nested(RECORD_MAX_DEPTH)}
    assert unstorable_record(orjson.dumps(too_deep)) is not None

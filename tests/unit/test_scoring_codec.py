"""The leads table codec: zstd msgpack behind a format byte, exact round trips, old formats read."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import msgspec
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.events import Event
from schemas.outgoing import LeadsMerged
from scoring.model.engine import merge, sweep, tombstone
from scoring.model.rules import RuleSet, default_rules
from scoring.model.state import LeadState, new_lead, replace, to_json
from scoring.worker.codec import FORMAT_V2, StateFormatError, decode, encode, is_merged
from tests.unit.scoring_factories import at, demo, download, fold, form, page, video
from tests.unit.test_scoring_properties import PROPERTY_SETTINGS, RULE_SETS, events

RULES = default_rules()
# Written by the pydantic LeadState (before the codec) for `history()` below, byte for byte.
LEGACY_JSON = (Path(__file__).parent / "legacy_lead_state.json").read_bytes()
# Written by format 1 (the hand-packed msgpack before zstd) for `history()`, byte for byte.
LEGACY_V1 = (Path(__file__).parent / "legacy_lead_state.v1.msgpack").read_bytes()


def merge_of(survivor: str, merged: str, when: datetime) -> LeadsMerged:
    return LeadsMerged(
        merge_id=f"m-{survivor}-{merged}",
        surviving_lead_id=survivor,
        merged_lead_id=merged,
        linking_identities=["phone:x"],
        trigger_event_id="evt-demo",
        occurred_at=when,
    )


def history() -> LeadState:
    """A lead with hex and UUID event ids, caps, a merge (merged_from) and a sweep."""
    mine = [
        form(when=at(0), event_id="evt-form"),
        video(when=at(0, 1), event_id="0f8fad5bd9cb469fa16570867728950e"),
        video(when=at(1), event_id="7c9e6679-7425-40de-944b-e07fc1f90ae7"),
        page(75, url="https://x.cn/pricing", when=at(1, 2), event_id="evt-pricing"),
    ]
    theirs = [
        download("whitepaper", when=at(0, 3), event_id="evt-paper"),
        demo(when=at(2), event_id="evt-demo"),
    ]
    a, _ = fold(mine, RULES, lead_id="lead_a")
    b, _ = fold(theirs, RULES, lead_id="lead_b")
    state, _ = merge(a, b, RULES, merge_of("lead_a", "lead_b", at(2)))
    return sweep(state, at(9), RULES)[0]


def test_a_json_value_written_before_the_codec_is_read_as_the_same_state() -> None:
    state = history()
    assert state.reached  # written since: the legacy value has no reach times, all else equal
    legacy = replace(state, reached={})
    assert decode(LEGACY_JSON) == legacy
    assert orjson.loads(to_json(decode(LEGACY_JSON))) == {
        **orjson.loads(LEGACY_JSON),
        "reached": {},
    }
    assert decode(encode(decode(LEGACY_JSON))) == legacy
    assert decode(encode(state)) == state


def test_a_format_1_value_is_read_as_the_same_state_and_rewritten_in_format_2() -> None:
    state = history()
    assert LEGACY_V1[:2] == b"\x01\x00"
    assert decode(LEGACY_V1) == state
    assert to_json(decode(LEGACY_V1)) == to_json(state)
    assert encode(decode(LEGACY_V1))[0] == FORMAT_V2


def test_a_format_1_value_written_before_reach_times_is_read_without_them() -> None:
    body = msgspec.msgpack.decode(LEGACY_V1[2:])
    older = LEGACY_V1[:2] + msgspec.msgpack.encode(body[:-1])  # no trailing reach times
    assert decode(older) == replace(history(), reached={})


def test_values_are_zstd_frames_behind_a_format_byte_and_much_smaller_than_json() -> None:
    value = encode(history())
    assert value[:2] == b"\x02\x00"
    assert value[2:6] == b"\x28\xb5\x2f\xfd"  # zstd's frame magic number
    assert len(value) * 3 < len(LEGACY_JSON)
    assert len(value) <= len(LEGACY_V1)


def typical_lead(events: int, event_id: Callable[[int], str]) -> LeadState:
    """A lead of the bench's five kinds, one minute apart, with the given event ids."""
    kinds = [page(75, url="https://x.cn/products/a"), page(20, url="https://x.cn/pricing")]
    kinds += [video(70), download("whitepaper"), form()]
    trail = [
        kinds[n % len(kinds)].model_copy(
            update={"event_id": event_id(n), "occurred_at": at(hours=n / 60)}
        )
        for n in range(events)
    ]
    trail = [e.model_copy(update={"received_at": e.occurred_at}) for e in trail]
    state, _ = fold(trail, RULES, lead_id="lead_typical")
    assert len(state.seen) == events
    return state


_RANDOM = random.Random(7)


@pytest.mark.parametrize(
    ("events", "event_id", "most"),
    [
        (20, lambda n: f"evt-{n}", 1024),  # short client ids
        (20, lambda n: uuid.UUID(int=n + 1).hex, 1024),  # sequential ids
        (10, lambda n: str(uuid.UUID(int=_RANDOM.getrandbits(128), version=4)), 1024),
        # random UUIDs: zstd pays a few bytes for every repeat of each id (docs/scoring.md)
        (20, lambda n: str(uuid.UUID(int=_RANDOM.getrandbits(128), version=4)), 1400),
    ],
)
def test_a_typical_lead_value_stays_small(
    events: int, event_id: Callable[[int], str], most: int
) -> None:
    state = typical_lead(events, event_id)
    assert decode(encode(state)) == state
    assert len(encode(state)) <= most


def test_a_tombstone_is_told_from_a_live_lead_without_decoding_in_either_format() -> None:
    live, gone = history(), tombstone(history(), "lead_z")
    assert not is_merged(encode(live)) and not is_merged(LEGACY_JSON)
    assert is_merged(encode(gone)) and is_merged(to_json(gone))
    assert not is_merged(LEGACY_V1) and is_merged(b"\x01\x01" + LEGACY_V1[2:])
    assert decode(encode(gone)) == gone


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"\x03\x00",  # a format this code does not know (a newer writer)
        b"\x02\x00\x28\xb5\x2f\xfd\x00",  # a broken zstd frame
        b"\x02\x00" + msgspec.msgpack.encode({"lead_id": 1}),  # not zstd at all
        # a frame claiming to unpack to 1 TiB: refused before anything is allocated
        b"\x02\x00\x28\xb5\x2f\xfd\xe0" + (2**40).to_bytes(8, "little") + b"\x01\x00\x00",
        b"\x01\x00\xc1",
        b"\x01\x00\x92\x01",
        b"[1]",
    ],
)
def test_a_value_in_no_known_format_is_a_state_format_error(value: bytes) -> None:
    with pytest.raises(StateFormatError):
        decode(value)


@PROPERTY_SETTINGS
@given(
    mine=events(max_size=15),
    theirs=events(max_size=15),
    rules=RULE_SETS,
    sweep_days=st.integers(0, 120),
)
def test_every_state_the_fold_makes_round_trips_exactly(
    mine: list[Event], theirs: list[Event], rules: RuleSet, sweep_days: int
) -> None:
    theirs = [e.model_copy(update={"event_id": uuid.uuid4().hex}) for e in theirs[::2]] + [
        e.model_copy(update={"event_id": str(uuid.uuid4())}) for e in theirs[1::2]
    ]
    a, _ = fold(mine, rules, lead_id="lead_a")
    b, _ = fold(theirs, rules, lead_id="lead_b")
    merged, _ = merge(a, b, rules, merge_of("lead_a", "lead_b", at(1)))
    swept, _ = sweep(merged, at(sweep_days), rules)
    for state in (new_lead("lead_x"), a, b, merged, swept):
        assert decode(encode(state)) == state
        assert to_json(decode(encode(state))) == to_json(state)
        assert encode(decode(encode(state))) == encode(state)

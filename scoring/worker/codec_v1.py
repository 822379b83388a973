"""Reading the leads table's format 1 (msgpack, packed by hand), which values written before
format 2 (scoring/worker/codec.py) still hold; nothing writes it any more.

Format 1, after its two header bytes (marker 0x01, merged flag): one msgpack array, a string table
(every event id, rule id, event type and interest once; seen ids first, with their common prefix
said once; ids of 32 hex digits or canonical UUIDs as 16 bytes), then the fields, with strings as
indexes into it. `seen` is only its times; the per-event `effects` and the recent contributions'
(rule, type, points) are indexes into tables of their distinct values; times are counted back from
the lead's clock in the largest unit that divides them all, and a time equal to the event's seen
time is not repeated; the reach times, appended last (and absent from values written before them),
are counted back in microseconds. `tests/unit/legacy_lead_state.v1.msgpack` is such a value.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import msgspec

from schemas.outgoing import Tier
from scoring.model.state import Contribution, LeadState

_HEX32, _UUID = 1, 2  # msgpack ext codes of packed ids
_DECODER = msgspec.msgpack.Decoder()


def decode_v1(body: bytes | memoryview) -> LeadState:
    """A state from a format 1 body (after the header); raises ValueError if it is not one."""
    packed = _DECODER.decode(body)  # msgspec.DecodeError is a ValueError
    try:
        return _unpacked(packed)
    except (TypeError, ValueError, IndexError, KeyError) as error:
        raise ValueError(f"not a version 1 lead state: {error}") from error


def _unpacked_id(item: str | msgspec.msgpack.Ext) -> str:
    if isinstance(item, str):
        return item
    if item.code == _HEX32:
        return bytes(item.data).hex()
    if item.code == _UUID:
        return str(uuid.UUID(bytes=bytes(item.data)))
    raise ValueError(f"unknown packed id kind {item.code}")


def _unpacked_table(packed: list[Any], seen: int) -> list[str]:
    prefix, *items = packed
    ids = [prefix + item if isinstance(item, str) else _unpacked_id(item) for item in items[:seen]]
    return ids + items[seen:]


def _pairs(flat: list[Any]) -> Iterable[tuple[Any, Any]]:
    return zip(flat[::2], flat[1::2], strict=True)


def _unpacked(packed: list[Any]) -> LeadState:
    n_seen, table, lead_id, rule_version, score, tier, clock_us, unit, *rest = packed
    strings = _unpacked_table(table, n_seen)
    tier_since, as_of, floor, pruned, contributions, event_counts, rule_counts = rest[:7]
    rule_scored, windows, seen_at, effects, unseen, kinds, recent, earned = rest[7:15]
    interests, first, last, last_id, promotions, demotions, merged_into, merged_from = rest[15:23]
    reached = rest[23] if len(rest) > 23 else []  # absent from values written before it existed
    base = clock_us or 0

    def at(rel: int | None) -> int | None:
        return None if rel is None else base - rel * unit

    def counts(flat: list[Any]) -> dict[str, Any]:
        return {strings[k]: v for k, v in _pairs(flat)}

    seen: dict[str, int] = {strings[n]: base - rel * unit for n, rel in enumerate(seen_at)}

    def time_of(event_id: str, rel: int | None) -> int:
        return seen[event_id] if rel is None else base - rel * unit

    effect_kinds = [
        (strings[k], "" if i is None else strings[i], tuple(strings[r] for r in rs))
        for k, i, *rs in kinds
    ]
    effect_of = {strings[n]: effect_kinds[k] for n, k in enumerate(effects) if k is not None}
    effect_of |= {strings[e]: effect_kinds[k] for e, k in _pairs(unseen)}
    window_of = {}
    for n in range(0, len(windows), 3):
        name, window, entries = windows[n : n + 3]
        key = strings[name] if window is None else f"{strings[name]}@{window}"
        window_of[key] = tuple((time_of(strings[e], r), strings[e]) for r, e in _pairs(entries))
    earnings = [
        (strings[earned[n]], strings[earned[n + 1]], float(earned[n + 2]))
        for n in range(0, len(earned), 3)
    ]
    contributions_of = []
    for n in range(0, len(recent), 3):
        event_id, (rule_id, event_type, points) = strings[recent[n]], earnings[recent[n + 1]]
        at_us = time_of(event_id, recent[n + 2])
        contributions_of.append(Contribution(event_id, rule_id, event_type, points, at_us))
    return LeadState(
        lead_id=lead_id,
        rule_version=rule_version,
        score=float(score),
        tier=Tier(tier),
        tier_since_us=at(tier_since),
        contributions={strings[k]: float(v) for k, v in _pairs(contributions)},
        as_of_us=at(as_of),
        clock_us=clock_us,
        floor_us=at(floor),
        pruned_us=at(pruned),
        event_counts=counts(event_counts),
        rule_counts=counts(rule_counts),
        rule_scored=counts(rule_scored),
        windows=window_of,
        seen=seen,
        effects=effect_of,
        recent=tuple(contributions_of),
        interests=counts(interests),
        first_activity_us=at(first),
        last_activity_us=at(last),
        last_event_id=None if last_id is None else strings[last_id],
        promotions={Tier(t): n for t, n in _pairs(promotions)},
        demotions={Tier(t): n for t, n in _pairs(demotions)},
        merged_into=merged_into,
        merged_from=tuple(merged_from),
        reached={Tier(t): base - rel for t, rel in _pairs(reached)},
    )

"""The `leads` table value: `LeadState` as versioned msgpack, packed; JSON values still read.

Format: one marker byte, then the body. `{` is a JSON document (`scoring.model.state.to_json`, what
the table held before this codec); `0x01` is msgpack version 1: a byte that says whether the lead
was merged away (1) or not (0), so the sweep index can be seeded without decoding, then one msgpack
array: a string table (every event id, rule id, event type and interest once; seen ids first, with
their common prefix said once; ids of 32 hex digits or canonical UUIDs as 16 bytes), then the
fields, with strings as indexes into it. `seen` is only its times; the per-event `effects` and the
recent contributions' (rule, type, points) are indexes into tables of their distinct values; times
are counted back from the lead's clock in the largest unit that divides them all (whole seconds →
small integers), and a time equal to the event's seen time is not repeated; the reach times,
appended last (and absent from values written before them), are counted back in microseconds. A
decoded value equals the encoded state (`==`, and the same `to_json` bytes when `effects` lists its
ids in `seen` order, as the fold keeps it).
"""

from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec

from schemas.outgoing import Tier
from scoring.model.state import Contribution, LeadState, from_json

MSGPACK_V1 = 0x01
_HEX32, _UUID = 1, 2  # msgpack ext codes of packed ids
_IS_HEX32 = re.compile(r"[0-9a-f]{32}").fullmatch
_IS_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder()


class StateFormatError(ValueError):
    """A table value in no format this code knows (a newer writer, or not a lead state)."""


def encode(state: LeadState) -> bytes:
    """The table value of a state (msgpack version 1)."""
    header = bytes((MSGPACK_V1, state.merged_into is not None))
    return header + _ENCODER.encode(_pack(state))


def is_merged(data: bytes) -> bool:
    """Whether a table value is a merged-away lead's tombstone, without decoding it."""
    if data[:1] == b"\x01":
        return data[1:2] != b"\x00"
    return b'"merged_into":null' not in data


def decode(data: bytes) -> LeadState:
    """A state from any table value this code or an older one wrote."""
    marker = data[:1]
    try:
        if marker == b"\x01":
            return _unpack(_DECODER.decode(memoryview(data)[2:]))
        if marker == b"{":
            return from_json(data)
    except msgspec.DecodeError as error:  # ValidationError included
        raise StateFormatError(f"not a lead state: {error}") from error
    raise StateFormatError(f"unknown lead state format (first byte {marker!r})")


def _packed_id(text: str) -> str | msgspec.msgpack.Ext:
    if len(text) == 32 and _IS_HEX32(text):
        return msgspec.msgpack.Ext(_HEX32, bytes.fromhex(text))
    if len(text) == 36 and _IS_UUID(text):
        return msgspec.msgpack.Ext(_UUID, uuid.UUID(text).bytes)
    return text


def _unpacked_id(item: str | msgspec.msgpack.Ext) -> str:
    if isinstance(item, str):
        return item
    if item.code == _HEX32:
        return bytes(item.data).hex()
    if item.code == _UUID:
        return str(uuid.UUID(bytes=bytes(item.data)))
    raise StateFormatError(f"unknown packed id kind {item.code}")


def _packed_table(strings: list[str], seen: int) -> list[Any]:
    """[prefix, the seen ids without it (or packed), every other string]."""
    ids = [_packed_id(text) for text in strings[:seen]]
    plain = [text for text in ids if isinstance(text, str)]
    # character-wise on purpose: event ids are not paths
    prefix = os.path.commonprefix(plain) if len(plain) > 1 else ""  # noqa: RUF071
    cut = len(prefix)
    ids = [text[cut:] if isinstance(text, str) else text for text in ids]
    return [prefix, *ids, *strings[seen:]]


def _unpacked_table(packed: list[Any], seen: int) -> list[str]:
    prefix, *items = packed
    ids = [prefix + item if isinstance(item, str) else _unpacked_id(item) for item in items[:seen]]
    return ids + items[seen:]


def _pack(s: LeadState) -> list[Any]:
    seen, effects_of, base = s.seen, s.effects, s.clock_us or 0
    index = {event_id: n for n, event_id in enumerate(seen)}  # seen ids first: no index kept
    put = index.setdefault
    kinds: dict[tuple[str, str, tuple[str, ...]], int] = {}  # distinct effects
    kind = kinds.setdefault
    effects = [kind(effects_of[e], len(kinds)) if e in effects_of else None for e in seen]
    unseen = [
        x
        for e, v in effects_of.items()
        if e not in seen
        for x in (put(e, len(index)), kind(v, len(kinds)))
    ]
    earned: dict[tuple[str, str, float], int] = {}  # distinct (rule, type, points) of `recent`
    earn = earned.setdefault
    extra = [at for entries in s.windows.values() for at, e in entries if seen.get(e) != at]
    extra += [c.at_us for c in s.recent if seen.get(c.event_id) != c.at_us]
    times = (s.tier_since_us, s.as_of_us, s.floor_us, s.pruned_us, s.first_activity_us)
    extra += [t for t in (*times, s.last_activity_us) if t is not None]
    unit = math.gcd(*[base - t for t in seen.values()], *[base - t for t in extra]) or 1

    def rel(us: int | None) -> int | None:
        return None if us is None else (base - us) // unit

    def flat(counts: dict[str, Any]) -> list[Any]:
        return [x for k, v in counts.items() for x in (put(k, len(index)), v)]

    windows: list[Any] = []
    for key, entries in s.windows.items():
        rule_id, _, window = key.rpartition("@")
        is_plain = window.isdigit() and str(int(window)) == window
        windows += (
            (put(rule_id, len(index)), int(window)) if is_plain else (put(key, len(index)), None)
        )
        windows.append(
            [
                x
                for at, e in entries
                for x in (None if seen.get(e) == at else (base - at) // unit, put(e, len(index)))
            ]
        )
    recent = [
        x
        for c in s.recent
        for x in (
            put(c.event_id, len(index)),
            earn((c.rule_id, c.event_type, c.points), len(earned)),
            None if seen.get(c.event_id) == c.at_us else (base - c.at_us) // unit,
        )
    ]
    body = [
        s.lead_id,
        s.rule_version,
        s.score,
        s.tier.value,
        s.clock_us,
        unit,
        rel(s.tier_since_us),
        rel(s.as_of_us),
        rel(s.floor_us),
        rel(s.pruned_us),
        flat(s.contributions),
        flat(s.event_counts),
        flat(s.rule_counts),
        flat(s.rule_scored),
        windows,
        [(base - at) // unit for at in seen.values()],
        effects,
        unseen,
        [
            [
                put(k, len(index)),
                put(i, len(index)) if i else None,
                *[put(r, len(index)) for r in rs],
            ]
            for k, i, rs in kinds
        ],
        recent,
        [x for r, t, p in earned for x in (put(r, len(index)), put(t, len(index)), _points(p))],
        flat(s.interests),
        rel(s.first_activity_us),
        rel(s.last_activity_us),
        None if s.last_event_id is None else put(s.last_event_id, len(index)),
        [x for tier, n in s.promotions.items() for x in (tier.value, n)],
        [x for tier, n in s.demotions.items() for x in (tier.value, n)],
        s.merged_into,
        list(s.merged_from),
        [x for tier, us in s.reached.items() for x in (tier.value, base - us)],
    ]
    return [len(seen), _packed_table(list(index), len(seen)), *body]


def _points(points: float) -> float | int:
    """Whole, non-zero points as a small integer (read back as the same float)."""
    return int(points) if points.is_integer() and points != 0 and abs(points) < 2**53 else points


def _pairs(flat: list[Any]) -> Iterable[tuple[Any, Any]]:
    return zip(flat[::2], flat[1::2], strict=True)


def _unpack(packed: Any) -> LeadState:
    try:
        return _unpacked(packed)
    except (TypeError, ValueError, IndexError, KeyError) as error:
        raise StateFormatError(f"not a version 1 lead state: {error}") from error


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

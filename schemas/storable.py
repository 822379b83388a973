"""What every consumer can store and decode: the limits ingest enforces and consumers re-check.

- No U+0000 and no lone surrogate in any key or string: PostgreSQL's text and jsonb refuse
  U+0000 and UTF-8 has no surrogates, so such a record can never reach a read model.
- At most `MAX_DEPTH` levels of objects and arrays, the event itself counting as one: the
  consumers' JSON decoders stop at about 200 levels and orjson's encoder at 254, so a deeper
  event accepted with a 200 would only be dead-lettered further down.
- Sizes (32 KB an event, 500 KB a batch, bounding every string and key count) and the fields'
  own ranges are the contract's (`schemas/events.py`) and ingest's (`services/ingest/body.py`).

Ingest refuses such events with the pointer of the first offending key or value; consumers
check the records other producers wrote with the same rule and dead-letter them.
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_DEPTH = 64
# Consumers allow a few more: our envelopes wrap what a client sent (Segment's unknown
# properties move into `context.extra_properties`, a resolved event wraps the event).
RECORD_MAX_DEPTH = MAX_DEPTH + 8
NUL_ESCAPE = b"\\u0000"  # how JSON spells U+0000: raw control characters are invalid JSON
_OPENERS = (b"{", b"[")


def _token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _bad(text: str) -> str | None:
    if "\x00" in text:
        return "U+0000"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # UTF-8 has no surrogates: only a lone one fails here
        return "a lone surrogate"
    return None


def unstorable(value: Any, at: str = "", max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """The JSON pointer of the first key, string or container no consumer can take, and why."""
    stack: list[tuple[str, Any, int]] = [(at, value, 1)]
    while stack:
        where, item, depth = stack.pop()
        if isinstance(item, str):
            problem = _bad(item)
            if problem:
                return where, problem
        elif isinstance(item, dict | list) and depth > max_depth:
            return where, f"nesting deeper than {max_depth} levels"
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                path = f"{where}/{_token(str(key))}"
                problem = _bad(key) if isinstance(key, str) else None
                if problem:
                    return path, f"{problem} in a key"
                children.append((path, child, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            indexed = [(f"{where}/{i}", child, depth + 1) for i, child in enumerate(item)]
            stack.extend(reversed(indexed))
    return None


def may_hold_nul(raw: bytes | None) -> bool:
    """A cheap pre-check on encoded JSON: False means no string in it can hold U+0000."""
    return raw is not None and NUL_ESCAPE in raw


def needs_check(raw: bytes | None, max_depth: int = MAX_DEPTH) -> bool:
    """A cheap pre-check on encoded JSON: False means `unstorable` would find nothing.

    Byte searches only (a few hundred nanoseconds an event): U+0000 is spelled one way in JSON,
    and a value cannot nest deeper than it has opening brackets.
    """
    if raw is None:
        return False
    return NUL_ESCAPE in raw or sum(raw.count(opener) for opener in _OPENERS) > max_depth


def unstorable_record(raw: bytes | None) -> tuple[str, str] | None:
    """For an encoded record: the pointer and problem of what no consumer can take, if any."""
    if not needs_check(raw, RECORD_MAX_DEPTH):
        return None
    try:
        return unstorable(orjson.loads(raw or b""), max_depth=RECORD_MAX_DEPTH)
    except orjson.JSONDecodeError:
        return None  # not JSON at all: the contract's own decoding says why

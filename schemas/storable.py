"""What every consumer can store: no U+0000 and no lone surrogate in any JSON key or string.

PostgreSQL's text and jsonb refuse U+0000 and its UTF-8 encoding has no surrogates, so a record
holding either can never reach a read model. Ingest refuses such events with the pointer of the
first offending key or value; consumers check records other producers wrote with the same rule.
"""

from __future__ import annotations

from typing import Any

import orjson

NUL_ESCAPE = b"\\u0000"  # how JSON spells U+0000: raw control characters are invalid JSON


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


def unstorable(value: Any, at: str = "") -> tuple[str, str] | None:
    """The JSON pointer of the first key or string no consumer can store, and what is wrong."""
    stack: list[tuple[str, Any]] = [(at, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            problem = _bad(item)
            if problem:
                return where, problem
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                path = f"{where}/{_token(str(key))}"
                problem = _bad(key) if isinstance(key, str) else None
                if problem:
                    return path, f"{problem} in a key"
                children.append((path, child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{where}/{i}", child) for i, child in enumerate(item)]))
    return None


def may_hold_nul(raw: bytes | None) -> bool:
    """A cheap pre-check on encoded JSON: False means no string in it can hold U+0000."""
    return raw is not None and NUL_ESCAPE in raw


def unstorable_record(raw: bytes | None) -> tuple[str, str] | None:
    """For an encoded record: the pointer and problem of its first unstorable key or string."""
    if not may_hold_nul(raw):
        return None
    try:
        return unstorable(orjson.loads(raw or b""))
    except orjson.JSONDecodeError:
        return None  # not JSON at all: the contract's own decoding says why

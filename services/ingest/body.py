"""Reading request bodies: media type, gzip, size limits (413), JSON and storable strings (400)."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from starlette.requests import Request

from schemas.storable import MAX_DEPTH, needs_check, unstorable
from services.ingest.rejections import (
    INVALID_VALUE,
    MALFORMED_JSON,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    Rejection,
)

# text/plain: browsers send beacons that way to avoid a CORS preflight.
MEDIA_TYPES = frozenset({"application/json", "text/plain"})


def _too_large(limit: int) -> Rejection:
    message = f"request body exceeds {limit} bytes (Segment's limits: 32 KB a call, 500 KB a batch)"
    return Rejection(PAYLOAD_TOO_LARGE, "", message, status=413)


def _unsupported(message: str) -> Rejection:
    return Rejection(UNSUPPORTED_MEDIA_TYPE, "", message, status=415)


async def read_body(
    request: Request, limit: int, media_types: frozenset[str] = MEDIA_TYPES
) -> bytes | Rejection:
    """The (gunzipped) body if it is JSON-typed (or of `media_types`) and at most `limit` bytes."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in media_types and not media.endswith("+json"):
        named = " or ".join(sorted(media_types - {"text/plain"}))
        return _unsupported(f"Content-Type must be {named}, not {media[:60]!r}")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        return _unsupported(f"Content-Encoding must be gzip or none, not {encoding[:30]!r}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    return gunzip(body, limit) if encoding == "gzip" else body


def gunzip(body: bytes, limit: int) -> bytes | Rejection:
    """Inflate a gzip body without ever holding more than `limit` bytes (no zip bombs)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        return Rejection(MALFORMED_JSON, "", f"body is not valid gzip: {error}")
    if len(data) > limit or inflater.unconsumed_tail:
        return _too_large(limit)
    return data


def parse_json(body: bytes) -> Any | Rejection:
    """The JSON value of a body, or a 400 naming where parsing failed."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth limit" in str(error):  # well-formed, but nested past the parser's 1024 levels
            return Rejection(INVALID_VALUE, "", f"/: nesting deeper than {MAX_DEPTH} levels")
        return Rejection(MALFORMED_JSON, "", f"malformed JSON: {error}")


def unstorable_value(value: Any) -> Rejection | None:
    """Refuse what no consumer can take (`schemas/storable.py`), naming where it is.

    An encoding and a few byte searches per event; the walk runs only when they say it might
    find something.
    """
    try:
        suspect = needs_check(orjson.dumps(value))
    except orjson.JSONEncodeError:  # past orjson's own nesting limit (254 levels)
        suspect = True
    found = unstorable(value) if suspect else None
    if found is None:
        return None
    where, problem = found
    shown = where.replace("\x00", "\\u0000")
    return Rejection(INVALID_VALUE, where, f"{shown or '/'}: {problem} is not accepted")


def parse_storable_json(body: bytes) -> Any | Rejection:
    """`parse_json`, and a 400 naming the first key, string or container no consumer can take."""
    data = parse_json(body)
    if isinstance(data, Rejection):
        return data
    return unstorable_value(data) or data

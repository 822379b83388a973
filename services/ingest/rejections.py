"""Expected rejections as values: a reason code, the JSON pointer of the field, an HTTP status."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pydantic import ValidationError

from runtime.http_errors import error_body

# Reason codes form a closed set: they are metric label values and part of the API.
MALFORMED_JSON = "malformed_json"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
PAYLOAD_TOO_LARGE = "payload_too_large"
EVENT_TOO_LARGE = "event_too_large"
MISSING_FIELD = "missing_field"
UNKNOWN_FIELD = "unknown_field"
INVALID_VALUE = "invalid_value"
INVALID_TIMESTAMP = "invalid_timestamp"
MISSING_IDENTITY = "missing_identity"
UNKNOWN_TYPE = "unknown_type"
UNKNOWN_CHANNEL = "unknown_channel"
UNKNOWN_STAGE = "unknown_stage"
UNAUTHORIZED = "unauthorized"
FORBIDDEN_CHANNEL = "forbidden_channel"
RATE_LIMITED = "rate_limited"
KAFKA_UNAVAILABLE = "kafka_unavailable"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one request or one event was not accepted."""

    code: str
    pointer: str
    message: str
    status: int = 400
    retry_after: int | None = None

    def under(self, prefix: str) -> Rejection:
        """The same rejection with its pointer nested under `prefix` (e.g. `/batch/3`)."""
        return replace(self, pointer=prefix + self.pointer)

    def body(self) -> dict[str, str]:
        """The one error body; `code` and `message` are what Segment's SDKs read."""
        return error_body(self.code, self.message, self.pointer)


def escape(token: str | int) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """A JSON pointer from reference tokens: pointer("batch", 3, "userId") == "/batch/3/userId"."""
    return "".join(f"/{escape(token)}" for token in tokens)


_CODES = {"missing": MISSING_FIELD, "extra_forbidden": UNKNOWN_FIELD}
_TIMESTAMP_ERRORS = ("datetime", "timezone", "date_")


def _code(error_type: str) -> str:
    if error_type.startswith(_TIMESTAMP_ERRORS):
        return INVALID_TIMESTAMP
    if error_type in ("union_tag_invalid", "union_tag_not_found"):
        return UNKNOWN_TYPE
    return _CODES.get(error_type, INVALID_VALUE)


def from_validation_error(
    error: ValidationError,
    rename: Callable[[Sequence[str | int]], Sequence[str | int]] = lambda loc: loc,
    tags: frozenset[str] = frozenset(),
) -> Rejection:
    """The first pydantic error as a rejection; `tags` are union tags to drop from locations."""
    first = error.errors(include_url=False, include_input=False)[0]
    loc: list[str | int] = list(first["loc"])
    if loc and loc[0] in tags:
        del loc[0]
    if first["type"] == "union_tag_invalid":
        loc.append("type")
    if first["type"] == "union_tag_not_found":
        loc = [*loc, first["ctx"]["discriminator"].strip("'")]
    where = pointer(*rename(loc))
    return Rejection(_code(first["type"]), where, f"{where or '/'}: {first['msg']}")

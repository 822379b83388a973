"""Reason codes of the channel adapters' rejections (metric label values, part of the API)."""

from __future__ import annotations

import hmac

from services.ingest.rejections import MISSING_FIELD, Rejection

BAD_SIGNATURE = "bad_signature"
STALE_TIMESTAMP = "stale_timestamp"
MALFORMED_XML = "malformed_xml"
FORBIDDEN_XML = "forbidden_xml"
UNDECRYPTABLE = "undecryptable"
APPID_MISMATCH = "appid_mismatch"
UNKNOWN_ACCOUNT = "unknown_account"
NOT_CONFIGURED = "not_configured"
FORBIDDEN_ORIGIN = "forbidden_origin"


def bad_signature(message: str) -> Rejection:
    """A 403: the request is not signed by whom it claims (nothing is published)."""
    return Rejection(BAD_SIGNATURE, "", message, status=403)


def missing(name: str, where: str = "query") -> Rejection:
    """A 400 naming the missing parameter or header."""
    return Rejection(MISSING_FIELD, f"/{name}", f"{where} parameter {name!r} is required")


def same_secret(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time comparison of a presented signature or key with the expected one."""
    left = given.encode() if isinstance(given, str) else given
    right = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(left, right)


def within_window(timestamp: str, now: float, window: float) -> Rejection | None:
    """A rejection unless `timestamp` (Unix seconds) is within `window` seconds of now."""
    if not timestamp.isdigit():
        return Rejection(STALE_TIMESTAMP, "/timestamp", "timestamp must be Unix seconds", 403)
    skew = abs(now - int(timestamp))
    if skew > window:
        message = f"timestamp is {skew:.0f} s away from now (window ±{window:.0f} s): replayed?"
        return Rejection(STALE_TIMESTAMP, "/timestamp", message, status=403)
    return None

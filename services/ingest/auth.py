"""Write keys: per-source, stored as SHA-256 digests, each bound to the channels it may post."""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Sequence

from runtime.tokens import sha256_hex
from services.ingest.rejections import FORBIDDEN_CHANNEL, UNAUTHORIZED, Rejection
from services.settings import WriteKey


def _unauthorized(message: str) -> Rejection:
    return Rejection(UNAUTHORIZED, "", message, status=401)


def presented_key(authorization: str | None) -> str | Rejection | None:
    """The write key in an Authorization header: Basic user name, or a Bearer token."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    match scheme.lower():
        case "basic":
            try:
                decoded = b64decode(credentials.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return _unauthorized("Authorization: Basic credentials are not base64 'key:'")
            return decoded.partition(":")[0] or None
        case "bearer":
            return credentials.strip() or None
    return _unauthorized("Authorization must be Basic (write key as user name) or Bearer")


class KeyRing:
    """The configured write keys, looked up by the digest of the presented key."""

    def __init__(self, keys: Sequence[WriteKey]) -> None:
        self._by_digest = {key.sha256.lower(): key for key in keys}

    def authenticate(self, presented: str | None) -> WriteKey | Rejection:
        """The write key for a presented secret; the secret itself is never echoed."""
        if not presented:
            return _unauthorized("missing write key: HTTP Basic user name or `writeKey`")
        key = self._by_digest.get(sha256_hex(presented))
        return key if key else _unauthorized("unknown write key")


def check_channel(key: WriteKey, channel: str) -> Rejection | None:
    """A 403 when the key is not bound to the channel the event claims."""
    if channel in key.channels:
        return None
    message = f"/channel: write key {key.name!r} may not post to channel {channel!r}"
    return Rejection(FORBIDDEN_CHANNEL, "/channel", message, status=403)

"""Secrets compared by digest: write keys and read tokens are configured as SHA-256 hex."""

from __future__ import annotations

import hashlib


def sha256_hex(secret: str) -> str:
    """Digest under which write keys and read tokens are configured and compared."""
    return hashlib.sha256(secret.encode()).hexdigest()

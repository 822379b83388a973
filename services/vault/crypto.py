"""AES-256-GCM sealing of contact details, data keys wrapped by a master key, blind indexes.

Pure: no I/O. A data key (DEK) is 32 random bytes per person; it encrypts that person's contact
details and is itself stored only wrapped (encrypted) under the master key. Every ciphertext is
bound to its key id through the AEAD's associated data, so a ciphertext cannot be opened under
another person's key even by someone who can swap rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32
_CONTACT_AAD = b"leadfunnel/contact/v1:"
_WRAP_AAD = b"leadfunnel/dek/v1:"
_SPACES = re.compile(r"\s+")
PREFIX_MIN, PREFIX_MAX = 2, 32


class SealError(ValueError):
    """A ciphertext that does not open: wrong key, tampered, or not ours."""


def new_data_key() -> bytes:
    """A fresh random data key."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def new_key_id() -> str:
    """A random data-key id: `k_` + 32 hex digits (never derived from the person)."""
    return "k_" + os.urandom(16).hex()


def master_key_bytes(encoded: str) -> bytes:
    """The 32-byte master key from its base64 (standard or URL-safe) form; ValueError otherwise."""
    text = encoded.strip()
    try:
        raw = base64.urlsafe_b64decode(
            text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4)
        )
    except ValueError as error:
        raise ValueError("the PII master key is not base64") from error
    if len(raw) != KEY_BYTES:
        raise ValueError(f"the PII master key must be {KEY_BYTES} bytes, base64-encoded")
    return raw


def master_key_id(master: bytes) -> str:
    """A short public fingerprint of a master key, stored beside each key it wraps."""
    return hashlib.sha256(b"leadfunnel/master-id:" + master).hexdigest()[:16]


def _seal(key: bytes, aad: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, aad: bytes, sealed: bytes) -> bytes:
    if len(sealed) <= NONCE_BYTES:
        raise SealError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag as error:
        raise SealError("ciphertext does not open under this key") from error


def wrap_key(master: bytes, key_id: str, data_key: bytes) -> bytes:
    """The data key encrypted under the master key (nonce ‖ ciphertext ‖ tag)."""
    return _seal(master, _WRAP_AAD + key_id.encode(), data_key)


def unwrap_key(master: bytes, key_id: str, wrapped: bytes) -> bytes:
    """The data key back from its wrapped form; SealError under the wrong master key."""
    return _open(master, _WRAP_AAD + key_id.encode(), wrapped)


def seal(data_key: bytes, key_id: str, plaintext: bytes) -> str:
    """Plaintext encrypted under a person's data key, as URL-safe base64 without padding."""
    sealed = _seal(data_key, _CONTACT_AAD + key_id.encode(), plaintext)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(data_key: bytes, key_id: str, ciphertext: str) -> bytes:
    """The plaintext of `seal`; SealError when the key is not the one it was sealed with."""
    try:
        raw = base64.urlsafe_b64decode(ciphertext + "=" * (-len(ciphertext) % 4))
    except ValueError as error:
        raise SealError("ciphertext is not base64") from error
    return _open(data_key, _CONTACT_AAD + key_id.encode(), raw)


def normalize_company(name: str) -> str:
    """How company names are compared: NFKC, case-folded, runs of spaces as one, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name).casefold()).strip()


def blind_token(secret: str, prefix: str) -> str:
    """The keyed blind-index token of one normalised company-name prefix (32 hex digits)."""
    message = b"leadfunnel/company-prefix:" + prefix.encode()
    return hmac.digest(secret.encode(), message, hashlib.sha256).hex()[:32]


def company_index(secret: str, company: str) -> list[str]:
    """Blind-index tokens of every prefix of 2..32 characters of the normalised company name."""
    name = normalize_company(company)
    longest = min(len(name), PREFIX_MAX)
    return [blind_token(secret, name[:n]) for n in range(PREFIX_MIN, longest + 1)]


def company_query_token(secret: str, text: str) -> str | None:
    """The token a search text matches as a company prefix; None when too short to index."""
    name = normalize_company(text)[:PREFIX_MAX]
    return blind_token(secret, name) if len(name) >= PREFIX_MIN else None

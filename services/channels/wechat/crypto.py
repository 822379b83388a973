"""WeChat message security: SHA-1 signatures, and safe-mode AES-256-CBC decryption (AppID checked).

Plaintext layout: 16 random bytes, 4-byte big-endian XML length, the XML, the AppID; PKCS#7
padded to 32-byte blocks; key = base64(EncodingAESKey + "="), IV = the key's first 16 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from services.channels.reasons import APPID_MISMATCH, UNDECRYPTABLE, same_secret
from services.ingest.rejections import Rejection


def signature(*parts: str) -> str:
    """WeChat's signature: hex SHA-1 of the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def is_signed(given: str, *parts: str) -> bool:
    """Whether `given` is the signature of the parts (constant-time)."""
    return same_secret(given.lower(), signature(*parts))


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key an EncodingAESKey (43 base64 characters) stands for."""
    return base64.b64decode(encoding_aes_key + "=")


def _undecryptable(why: str) -> Rejection:
    return Rejection(UNDECRYPTABLE, "/xml/Encrypt", f"/xml/Encrypt: {why}")


def _unpad(plain: bytes) -> bytes | None:
    pad = plain[-1] if plain else 0
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        return None
    return plain[:-pad]


def decrypt(encrypted: str, key: bytes, appid: str) -> bytes | Rejection:
    """The XML inside a safe-mode `Encrypt`, or why it cannot be (wrong AppID: 403)."""
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        return _undecryptable("not base64")
    if not data or len(data) % 16:
        return _undecryptable("not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    body = _unpad(decryptor.update(data) + decryptor.finalize())
    if body is None or len(body) < 20:
        return _undecryptable("bad padding: wrong EncodingAESKey?")
    length = int.from_bytes(body[16:20], "big")
    if length > len(body) - 20:
        return _undecryptable("XML length runs past the message")
    xml, sender = body[20 : 20 + length], body[20 + length :]
    if not same_secret(sender, appid.encode()):
        message = "/xml/Encrypt: encrypted for another AppID than this account's"
        return Rejection(APPID_MISMATCH, "/xml/Encrypt", message, status=403)
    return xml

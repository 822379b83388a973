"""PII normalisation and keyed hashing: raw emails and phones never leave the service."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field

import phonenumbers

# Keys whose values are treated as PII wherever they appear in free-form objects.
EMAIL_KEYS = frozenset({"email", "e_mail", "email_address", "emailaddress"})
PHONE_KEYS = frozenset({"phone", "mobile", "phone_number", "phonenumber", "tel", "telephone"})
PII_KEYS = EMAIL_KEYS | PHONE_KEYS
_SPACE = re.compile(r"\s")


def normalize_email(raw: str) -> str | None:
    """Trimmed, lower-cased email; None when it is not shaped like one address."""
    email = unicodedata.normalize("NFKC", raw).strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or domain.startswith("."):
        return None
    if len(email) > 254 or _SPACE.search(email):
        return None
    return email


def normalize_phone(raw: str, default_region: str) -> str | None:
    """Phone number in E.164 (`+8613800138000`); None when it cannot be a number."""
    try:
        number = phonenumbers.parse(raw, default_region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def keyed_hash(secret: str, normalized: str) -> str:
    """HMAC-SHA256 of a normalised value under the server secret, as 64 hex characters."""
    return hmac.digest(secret.encode(), normalized.encode(), hashlib.sha256).hex()


@dataclass(frozen=True)
class PiiHasher:
    """Normalise-then-hash with one secret and default phone region (built from settings)."""

    secret: str = field(repr=False)
    default_region: str = "CN"

    def email_hash(self, raw: str) -> str | None:
        """Keyed hash of a normalised email; None when the value is not an email."""
        email = normalize_email(raw)
        return keyed_hash(self.secret, email) if email else None

    def phone_hash(self, raw: str) -> str | None:
        """Keyed hash of a phone in E.164; None when the value is not a phone number."""
        phone = normalize_phone(raw, self.default_region)
        return keyed_hash(self.secret, phone) if phone else None


def pii_in(mapping: dict[str, object]) -> dict[str, str]:
    """The first email and phone found under PII keys of a flat mapping, as `email` / `phone`."""
    found: dict[str, str] = {}
    for key, value in mapping.items():
        kind = (
            "email" if key.lower() in EMAIL_KEYS else "phone" if key.lower() in PHONE_KEYS else ""
        )
        if kind and isinstance(value, str | int) and kind not in found:
            found[kind] = str(value)
    return found


def scrub(value: object) -> object:
    """A copy of a JSON value without PII keys (email, phone, …) at any depth."""
    if isinstance(value, dict):
        return {
            key: scrub(item)
            for key, item in value.items()
            if not (isinstance(key, str) and key.lower() in PII_KEYS)
        }
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value

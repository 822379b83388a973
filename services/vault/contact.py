"""Contact details in clear, as ingest finds them and authorised readers see them.

A `Contact` never reaches Kafka or a table: ingest seals it (`services/vault/sealing.py`), the
query service opens it for roles allowed to read contact details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from services.pii import EMAIL_KEYS, PHONE_KEYS, normalize_email

FIELDS = ("name", "email", "phone", "company", "job_title", "city")
# Trait and form keys (compared lower-cased) each contact field is read from, first match wins.
NAME_KEYS = ("name", "full_name", "fullname", "contact_name", "姓名")
FIRST_NAME_KEYS = ("first_name", "firstname", "given_name")
LAST_NAME_KEYS = ("last_name", "lastname", "family_name", "surname")
COMPANY_KEYS = ("company", "company_name", "companyname", "organization", "公司")
TITLE_KEYS = ("job_title", "jobtitle", "title", "position", "职位")
CITY_KEYS = ("city", "城市")
# Every key whose value is a contact detail: free-form traits are scrubbed of all of them.
_DETAIL_KEYS = (*NAME_KEYS, *FIRST_NAME_KEYS, *LAST_NAME_KEYS, *COMPANY_KEYS, *TITLE_KEYS)
CONTACT_KEYS = frozenset((*_DETAIL_KEYS, *CITY_KEYS, "address")) | EMAIL_KEYS | PHONE_KEYS
MAX_CHARS = 200


class Contact(BaseModel):
    """A person's contact details; every field optional, each at most 200 characters."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=MAX_CHARS)
    email: str | None = Field(default=None, min_length=1, max_length=320)
    phone: str | None = Field(default=None, min_length=1, max_length=64)
    company: str | None = Field(default=None, min_length=1, max_length=MAX_CHARS)
    job_title: str | None = Field(default=None, min_length=1, max_length=MAX_CHARS)
    city: str | None = Field(default=None, min_length=1, max_length=MAX_CHARS)

    def is_empty(self) -> bool:
        """Whether no field is set."""
        return all(getattr(self, name) is None for name in FIELDS)

    def to_bytes(self) -> bytes:
        """The canonical plaintext that gets sealed (unset fields left out)."""
        return orjson.dumps(self.model_dump(exclude_none=True))

    @classmethod
    def from_bytes(cls, data: bytes) -> Contact:
        """A contact from its sealed plaintext."""
        return cls.model_validate_json(data)

    def over(self, older: Contact) -> Contact:
        """This contact with the gaps filled from an older one (newer values win field by field)."""
        return Contact.model_validate(
            {name: getattr(self, name) or getattr(older, name) for name in FIELDS}
        )


class ContactDetails(BaseModel):
    """Contact details a client posts beside the identities (email and phone go there)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=MAX_CHARS, examples=["张伟"])
    company: str | None = Field(default=None, min_length=1, max_length=MAX_CHARS)
    job_title: str | None = Field(default=None, min_length=1, max_length=MAX_CHARS)
    city: str | None = Field(default=None, min_length=1, max_length=MAX_CHARS)


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text[:MAX_CHARS] if text else None


def _first(mapping: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        found = _text(mapping.get(key))
        if found:
            return found
    return None


def contact_in(traits: Mapping[str, Any]) -> dict[str, str]:
    """Name, company, job title and city found in free-form traits or form answers."""
    lowered = {str(key).lower(): value for key, value in traits.items()}
    company = lowered.get("company")
    if isinstance(company, Mapping):  # Segment's spec: `company: {name, …}`
        lowered["company"] = company.get("name")
    address = lowered.get("address")
    if isinstance(address, Mapping) and "city" not in lowered:
        lowered["city"] = address.get("city")
    name = _first(lowered, NAME_KEYS)
    if name is None:
        parts = (_first(lowered, FIRST_NAME_KEYS), _first(lowered, LAST_NAME_KEYS))
        name = " ".join(part for part in parts if part) or None
    found = {
        "name": name,
        "company": _first(lowered, COMPANY_KEYS),
        "job_title": _first(lowered, TITLE_KEYS),
        "city": _first(lowered, CITY_KEYS),
    }
    return {key: value for key, value in found.items() if value}


def build_contact(
    identities: Mapping[str, Any], *details: Mapping[str, Any], phone: str | None = None
) -> Contact | None:
    """The contact of one event: raw email / phone identities plus details (first wins per field).

    `phone` is the normalised number when the caller has one (E.164 shows the same everywhere).
    """
    fields: dict[str, str] = {}
    for found in details:
        for key, value in found.items():
            text = _text(value)
            if key in FIELDS and text and key not in fields:
                fields[key] = text
    email = identities.get("email")
    if isinstance(email, str) and "email" not in fields:
        fields["email"] = normalize_email(email) or email.strip()
    raw_phone = identities.get("phone")
    if isinstance(raw_phone, str) and "phone" not in fields:
        fields["phone"] = phone or raw_phone.strip()
    if not fields:
        return None
    contact = Contact.model_validate({k: v[:320] for k, v in fields.items()})
    return None if contact.is_empty() else contact


def scrub_contact(traits: Any) -> Any:
    """A copy of free-form traits without contact keys at the top level (they go sealed)."""
    if not isinstance(traits, dict):
        return traits
    return {
        key: value
        for key, value in traits.items()
        if not (isinstance(key, str) and key.lower() in CONTACT_KEYS)
    }

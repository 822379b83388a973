"""Who may read what: read tokens with a role, stored as digests, and the principal a request has.

Roles: `manager` reads everything; `rep` reads only the leads it owns (its `owner` is the CRM
owner name on the leads); `analyst` reads the funnel and lead lists but no contact details;
`admin` reads everything and may erase people and change configuration. Tokens in the settings
(`LEADFUNNEL_READ_TOKEN_SHA256S`, the development token) are managers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from runtime.tokens import sha256_hex

Connection = Any  # asyncpg ships no type information
TOKEN_PREFIX = "rt_"


class Role(StrEnum):
    """What a read token may see."""

    MANAGER = "manager"
    REP = "rep"
    ANALYST = "analyst"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The reader behind a request's token."""

    name: str
    role: Role
    owner: str | None = None  # a rep's CRM owner name: the leads it may read

    @property
    def owner_scope(self) -> str | None:
        """The only owner whose leads this reader may see, or None for every lead."""
        return self.owner if self.role is Role.REP else None

    def may_read(self, lead_owner: str | None) -> bool:
        """Whether a lead owned by `lead_owner` is visible to this reader."""
        return self.owner_scope is None or lead_owner == self.owner_scope


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A stored token as `tokens list` shows it: never the token, never its digest."""

    name: str
    role: Role
    owner: str | None
    created_at: datetime
    revoked_at: datetime | None


def new_token() -> str:
    """A fresh random read token (shown once; only its digest is kept)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(24)


async def add_token(conn: Connection, name: str, role: Role, owner: str | None) -> str:
    """Store a new token's digest under `name`; returns the token itself."""
    if role is Role.REP and not owner:
        raise ValueError("a rep token needs --owner (the CRM owner name of its leads)")
    token = new_token()
    await conn.execute(
        "INSERT INTO public.access_tokens (name, digest, role, owner) VALUES ($1, $2, $3, $4)",
        name,
        sha256_hex(token),
        role.value,
        owner,
    )
    return token


async def list_tokens(conn: Connection) -> list[TokenInfo]:
    """Every token, revoked ones included, by name."""
    rows = await conn.fetch(
        "SELECT name, role, owner, created_at, revoked_at FROM public.access_tokens ORDER BY name"
    )
    return [
        TokenInfo(r["name"], Role(r["role"]), r["owner"], r["created_at"], r["revoked_at"])
        for r in rows
    ]


async def revoke_token(conn: Connection, name: str) -> bool:
    """Revoke the token named `name`; False when there is no such live token."""
    status = await conn.execute(
        "UPDATE public.access_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL",
        name,
    )
    return bool(status.endswith(" 1"))


async def find_principal(conn: Connection, digest: str) -> Principal | None:
    """The live token with this digest, as a principal; None when unknown or revoked."""
    row = await conn.fetchrow(
        "SELECT name, role, owner FROM public.access_tokens"
        " WHERE digest = $1 AND revoked_at IS NULL",
        digest,
    )
    return None if row is None else Principal(row["name"], Role(row["role"]), row["owner"])

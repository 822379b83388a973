"""Read access: a Bearer read token (401 without, 403 unknown or revoked) and who it belongs to.

Tokens configured in the settings (their SHA-256 digests) are managers; tokens added with
`python -m services.ops tokens add` carry their own role (`services/access.py`). A looked-up
token is remembered for `CACHE_SECONDS`, so a revocation takes effect within that time.
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from runtime.tokens import sha256_hex
from services.access import Principal, Role, find_principal
from services.settings import Settings

bearer = HTTPBearer(
    auto_error=False, scheme_name="readToken", description="a read token (not an ingest write key)"
)
CACHE_SECONDS = 5.0
CONFIGURED = Principal("configured", Role.MANAGER)


def is_read_token(token: str, settings: Settings) -> bool:
    """Whether the token's digest is one of the configured read-token digests."""
    digest = sha256_hex(token)
    return any(hmac.compare_digest(digest, known) for known in settings.read_token_sha256s)


async def _stored(request: Request, digest: str) -> Principal | None:
    cache: dict[str, tuple[float, Principal | None]] | None = getattr(
        request.app.state, "token_cache", None
    )
    if cache is None:
        cache = request.app.state.token_cache = {}
    now = time.monotonic()
    hit = cache.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    try:
        found = await find_principal(request.app.state.pool, digest)
    except (OSError, asyncpg.PostgresError) as error:
        raise HTTPException(503, "the token cannot be checked now; retry") from error
    if len(cache) > 10_000:  # a flood of made-up tokens must not grow it without bound
        cache.clear()
    cache[digest] = (now + CACHE_SECONDS, found)
    return found


async def require_read_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The reader behind the request's read token; 401 without one, 403 for any other."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "a read token is required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="leadfunnel-query"'},
        )
    if is_read_token(credentials.credentials, request.app.state.settings):
        return CONFIGURED
    found = await _stored(request, sha256_hex(credentials.credentials))
    if found is None:
        raise HTTPException(403, "this token may not read the funnel")
    return found


ReadAccess = Depends(require_read_token)
PrincipalDep = Annotated[Principal, Depends(require_read_token)]


def visible(principal: Principal, lead: dict[str, Any] | None) -> dict[str, Any] | None:
    """The lead row when this reader may see it, else None (answered as 404: no such lead)."""
    if lead is None or not principal.may_read(lead.get("owner")):
        return None
    return lead

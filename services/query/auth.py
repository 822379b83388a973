"""Read access: a Bearer read token whose SHA-256 digest is configured (401 without, 403 wrong)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.settings import Settings, sha256_hex

bearer = HTTPBearer(auto_error=False, description="a read token (not an ingest write key)")


def is_read_token(token: str, settings: Settings) -> bool:
    """Whether the token's digest is one of the configured read-token digests."""
    digest = sha256_hex(token)
    return any(hmac.compare_digest(digest, known) for known in settings.read_token_sha256s)


def require_read_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Let a request through only with a valid read token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "a read token is required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="leadfunnel-query"'},
        )
    if not is_read_token(credentials.credentials, request.app.state.settings):
        raise HTTPException(403, "this token may not read the funnel")


ReadAccess = Depends(require_read_token)

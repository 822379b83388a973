"""Who may post to the collector: CORS for configured origins only, bots dropped by user agent."""

from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi import Request

PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}


class Browsers:
    """The allowed origins and the bot user-agent patterns, compiled once."""

    def __init__(self, origins: Sequence[str], bot_patterns: Sequence[str]) -> None:
        self.origins = frozenset(origin.rstrip("/").lower() for origin in origins)
        self.bots = (
            re.compile("|".join(f"(?:{p})" for p in bot_patterns), re.I) if bot_patterns else None
        )

    def origin_allowed(self, request: Request) -> bool:
        """No Origin (not a browser), the service's own origin, or a configured one."""
        origin = request.headers.get("origin")
        if origin is None:
            return True
        own = str(request.base_url).rstrip("/").lower()
        return origin.lower() in self.origins or origin.lower() == own

    def is_bot(self, request: Request) -> bool:
        """Whether the user agent is missing or matches a bot pattern."""
        agent = request.headers.get("user-agent", "")
        return not agent or bool(self.bots and self.bots.search(agent))

    def cors_headers(self, request: Request) -> dict[str, str]:
        """Access-Control-Allow-Origin for an allowed browser origin, else nothing."""
        origin = request.headers.get("origin")
        if origin is None or not self.origin_allowed(request):
            return {"Vary": "Origin"}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

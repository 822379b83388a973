"""Following the funnel in the query API while the system digests the demo feed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

STEPS = ("lead", "mql", "sql", "opportunity", "won")


def funnel_counts(client: httpx.Client, query_url: str) -> dict[str, int] | None:
    """Leads reaching each tier, all time (None when the query API does not answer)."""
    try:
        answer = client.get(f"{query_url}/v1/funnel/tiers", timeout=5)
    except httpx.HTTPError:
        return None
    if answer.status_code != 200:
        return None
    rows: list[dict[str, Any]] = answer.json().get("rows", [])
    return {step: int(rows[0][step]) if rows else 0 for step in STEPS}


def describe(counts: dict[str, int]) -> str:
    """`600 leads → 250 MQL → …` for the terminal."""
    return (
        f"{counts['lead']} leads → {counts['mql']} MQL → {counts['sql']} SQL → "
        f"{counts['opportunity']} opportunities → {counts['won']} won"
    )


def watch_funnel(
    client: httpx.Client,
    query_url: str,
    seconds: float,
    say: Callable[[str], None],
    settle_polls: int = 4,
) -> dict[str, int] | None:
    """Print the funnel each time it changes until it holds still for a few polls."""
    deadline, last, still = time.monotonic() + seconds, None, 0
    while time.monotonic() < deadline and still < settle_polls:
        counts = funnel_counts(client, query_url)
        if counts is not None and counts != last:
            say(f"funnel: {describe(counts)}")
            last, still = counts, 0
        elif counts is not None and counts["lead"] > 0:
            still += 1
        time.sleep(2)
    return last

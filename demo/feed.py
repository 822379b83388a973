"""Posting records to the public ingest APIs: batches per API, retries on 429 / 503, progress."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from demo.plan import API_PATHS, Post

CHUNK = 250  # records per round of requests: small enough to keep every lead's order
MAX_WAIT_SECONDS = 10.0


class FeedError(RuntimeError):
    """The feed cannot go on: ingest unreachable, the write key refused, or retries exhausted."""


@dataclass(slots=True)
class Tally:
    """Records accepted and rejected so far (rejections with their reasons)."""

    accepted: int = 0
    rejected: list[str] = field(default_factory=list)


def chunks(posts: Sequence[Post], size: int = CHUNK) -> Iterator[Sequence[Post]]:
    """The records in order, `size` at a time."""
    for start in range(0, len(posts), size):
        yield posts[start : start + size]


def wait_ready(client: httpx.Client, ingest_url: str, timeout: float) -> None:
    """Return once ingest's /readyz is green; FeedError when it cannot be reached in time."""
    deadline = time.monotonic() + timeout
    reason = "no answer"
    while True:
        try:
            answer = client.get(f"{ingest_url}/readyz", timeout=3)
            if answer.status_code == 200:
                return
            reason = f"/readyz answers {answer.status_code}: {answer.text[:200]}"
        except httpx.HTTPError as error:
            reason = f"{type(error).__name__}: {error}"
        if time.monotonic() >= deadline:
            raise FeedError(
                f"ingest is not reachable at {ingest_url} ({reason}); start the system with"
                " `make run` (or pass --ingest-url)"
            )
        time.sleep(0.5)


def _retry_after(answer: httpx.Response) -> float:
    try:
        return min(MAX_WAIT_SECONDS, max(0.2, float(answer.headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


def send(client: httpx.Client, url: str, payload: Any, attempts: int = 30) -> httpx.Response:
    """POST with retries: 429 and 503 wait for Retry-After, network errors back off."""
    for attempt in range(1, attempts + 1):
        try:
            answer = client.post(url, json=payload)
        except httpx.TransportError as error:
            if attempt >= 5:
                raise FeedError(f"ingest stopped answering at {url}: {error}") from error
            time.sleep(0.5 * attempt)
            continue
        if answer.status_code in (401, 403):
            raise FeedError(f"ingest refused the write key ({answer.status_code}): {answer.text}")
        if answer.status_code not in (429, 503):
            return answer
        time.sleep(_retry_after(answer))
    raise FeedError(f"ingest kept answering 429/503 at {url}")


def _outcome(answer: httpx.Response, batch: Sequence[Post], tally: Tally) -> None:
    try:
        body = answer.json()
    except ValueError:
        body = {}
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):  # a whole-request error: every record refused
        reason = f"{answer.status_code} {answer.text[:300]}"
        tally.rejected += [f"{post.api} {post.event_id}: {reason}" for post in batch]
        return
    for result in results:
        if result.get("status") == "accepted":
            tally.accepted += 1
        else:
            post = batch[int(result.get("index", 0))]
            tally.rejected.append(
                f"{post.api} {post.event_id}: {result.get('code')} at {result.get('pointer')!r}"
                f" — {result.get('message')}"
            )


def post_records(
    client: httpx.Client, ingest_url: str, records: Sequence[Post], tally: Tally
) -> None:
    """Post one round of records: behaviour events first, then the CRM's stage changes and talks."""
    for api, path in API_PATHS.items():
        batch = [post for post in records if post.api == api]
        if not batch:
            continue
        bodies = [post.body for post in batch]
        payload: Any = {"events": bodies} if api == "events" else bodies
        _outcome(send(client, ingest_url + path, payload), batch, tally)


def feed(
    client: httpx.Client,
    ingest_url: str,
    posts: Sequence[Post],
    rate: float = 0,
    progress: Callable[[int, Post], None] = lambda done, last: None,
) -> Tally:
    """Post every record in order, a chunk at a time, at most `rate` records a second (0: as
    fast as ingest takes them); `progress(done, last)` after each chunk.

    Pacing keeps the scoring pipeline close behind: its partitions are consumed concurrently,
    so a large backlog lets one lead's later records overtake earlier ones on other
    partitions (the identity merges still end right, but the dashboard shows detours)."""
    tally = Tally()
    done, started = 0, time.monotonic()
    for chunk in chunks(posts, min(CHUNK, max(10, round(rate))) if rate else CHUNK):
        post_records(client, ingest_url, chunk, tally)
        done += len(chunk)
        progress(done, chunk[-1])
        if rate:
            time.sleep(max(0.0, started + done / rate - time.monotonic()))
    return tally

"""Live mode: after the history, new leads keep arriving, one day of their story every few
seconds, so promotions keep appearing on the dashboard while a newcomer watches."""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from demo.catalog import OPPORTUNITY_RATE, STAGE_SHAPE, STAGE_TARGETS
from demo.feed import FeedError, Tally, post_records
from demo.journeys import lead_journey
from demo.opportunities import Opening, Stay, opportunity
from demo.plan import DemoConfig, Post

LIVE_DAY_SECONDS = 4.0  # one day of a live lead's story passes in this many seconds


def live_stays(opening: Opening, rng: random.Random) -> list[Stay]:
    """One live opportunity's stays: the article's days and conversion, drawn at random."""
    stays, entered = [], opening.first_contact_at
    for target in STAGE_TARGETS:
        days = rng.gammavariate(STAGE_SHAPE, target.avg_days / STAGE_SHAPE)
        exited = entered + timedelta(days=days)
        if rng.random() >= target.conversion:
            stays.append(Stay(target.stage, entered, exited, "lost", target.lost_reasons[0][0]))
            break
        last = target is STAGE_TARGETS[-1]
        stays.append(Stay(target.stage, entered, exited, "won" if last else "advanced"))
        entered = exited
    return stays


def _compressed(post: Post, started: datetime) -> Post:
    at = started + (post.occurred_at - started) * (LIVE_DAY_SECONDS / 86_400)
    return replace(post, occurred_at=at, body={**post.body, "occurred_at": at.isoformat()})


def live_story(config: DemoConfig, number: int, started: datetime) -> list[Post]:
    """A new lead's records from `started` on, its days squeezed into seconds."""
    far = started + timedelta(days=365)
    journey = lead_journey(config, number, far, arrival=started)
    posts = list(journey.posts)
    rng = random.Random(f"{config.seed}:live:{number}")
    if journey.sql_at is not None and rng.random() < OPPORTUNITY_RATE:
        at = journey.sql_at + timedelta(days=rng.uniform(0.1, 1.0))
        opening = Opening(number, at, journey.person.contact())
        posts += opportunity(opening, live_stays(opening, rng), config.seed, far).posts
    return sorted((_compressed(post, started) for post in posts), key=lambda p: p.occurred_at)


def run_live(
    client: httpx.Client,
    ingest_url: str,
    config: DemoConfig,
    seconds: float,
    every: float,
    say: Callable[[str], None],
) -> Tally:
    """Start a new lead every `every` seconds for `seconds`, posting each record when it is due.
    Ends quietly when ingest goes away (the system was stopped)."""
    run = DemoConfig(config.leads, config.seed * 1_000_003 + int(time.time()) % 1_000_000)
    tally, pending = Tally(), list[tuple[float, str, Post]]()
    end, next_lead, number = time.monotonic() + seconds, time.monotonic(), 0
    while time.monotonic() < end:
        if time.monotonic() >= next_lead:
            for post in live_story(run, number, datetime.now(UTC)):
                heapq.heappush(pending, (post.occurred_at.timestamp(), post.event_id, post))
            number, next_lead = number + 1, next_lead + every
        due = []
        while pending and pending[0][0] <= time.time():
            due.append(heapq.heappop(pending)[2])
        try:
            if due:
                post_records(client, ingest_url, due, tally)
        except FeedError as error:
            say(f"live feed stopped: {error}")
            return tally
        time.sleep(0.5)
    return tally

"""The demo feed's command line: build the data set, post it, follow the funnel, go live."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import httpx

from demo.dataset import Dataset, build_dataset
from demo.feed import FeedError, feed, wait_ready
from demo.live import run_live
from demo.plan import DemoConfig, Post
from demo.spend import post_spend, spend_rows
from demo.watch import describe, funnel_counts, watch_funnel
from services.settings import DEV_READ_TOKEN, DEV_WRITE_KEY, Settings


def say(message: str) -> None:
    """One progress line, flushed at once (the feed often runs in the background)."""
    print(f"[demo] {message}", flush=True)


def parse_args(argv: list[str] | None, settings: Settings) -> argparse.Namespace:
    """The options; URLs default to the local system `make run` starts."""
    base = f"http://{settings.host}"
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Post a realistic synthetic data set (website, WeChat, ads, email, CRM)"
        " through the public ingest APIs, then follow the funnel in the query API.",
    )
    parser.add_argument("--ingest-url", default=f"{base}:{settings.ingest_port}")
    parser.add_argument("--write-key", default=DEV_WRITE_KEY, help="ingest write key")
    defaults = DemoConfig()
    parser.add_argument("--leads", type=int, default=defaults.leads, help="how many leads")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="same seed, same data")
    parser.add_argument("--days", type=float, default=defaults.days, help="history length")
    parser.add_argument("--now", type=datetime.fromisoformat, help="end of history (ISO time)")
    parser.add_argument(
        "--rate", type=float, default=150, help="records per second (0: as fast as possible)"
    )
    parser.add_argument("--query-url", default=f"{base}:{settings.query_port}")
    parser.add_argument("--read-token", default=DEV_READ_TOKEN, help="query API read token")
    parser.add_argument("--watch", type=float, default=60, help="seconds to follow the funnel")
    parser.add_argument("--live", type=float, default=0, help="then seconds of new live leads")
    parser.add_argument("--live-every", type=float, default=3.0, help="seconds between them")
    parser.add_argument("--wait-ready", type=float, default=30, help="seconds to wait for ingest")
    args = parser.parse_args(argv)
    if args.leads < 1 or args.days <= 0:
        parser.error("--leads and --days must be positive")
    if args.now is not None and args.now.tzinfo is None:
        args.now = args.now.replace(tzinfo=UTC)
    return args


def summary(dataset: Dataset) -> str:
    """What the data set holds and the tiers it was built to reach."""
    apis = Counter(post.api for post in dataset.posts)
    channels = Counter(journey.channel for journey in dataset.journeys)
    mql = sum(journey.mql_at is not None for journey in dataset.journeys)
    sql = sum(journey.sql_at is not None for journey in dataset.journeys)
    return (
        f"{len(dataset.journeys)} leads ({', '.join(f'{k} {v}' for k, v in channels.items())}):"
        f" {apis['events']} behaviour events, {apis['stage_changes']} stage changes,"
        f" {apis['communications']} communications; built to reach about {mql} MQL, {sql} SQL,"
        f" {len(dataset.opportunities)} opportunities"
    )


class Progress:
    """Says how far the feed got every tenth of the way, with the funnel as the query API has
    it by then: the newcomer sees events turn into promotions while they are posted."""

    def __init__(self, total: int, query: httpx.Client, query_url: str) -> None:
        self.total, self.query, self.query_url = total, query, query_url
        self.started, self.tenths = time.monotonic(), 0

    def __call__(self, done: int, last: Post) -> None:
        tenths = done * 10 // self.total
        if tenths <= self.tenths:
            return
        self.tenths = tenths
        line = (
            f"posted {done}/{self.total} ({done / self.total:.0%}, history up to"
            f" {last.occurred_at:%Y-%m-%d}) in {time.monotonic() - self.started:.0f}s"
        )
        counts = funnel_counts(self.query, self.query_url)
        say(f"{line} · funnel: {describe(counts)}" if counts else line)


def main(argv: list[str] | None = None) -> int:
    """Run the feed; 0 when every record was accepted, 1 on rejections, 2 when it cannot post."""
    settings = Settings()
    args = parse_args(argv, settings)
    config = DemoConfig(args.leads, args.seed, args.now, args.days)
    now = args.now or datetime.now(UTC)
    dataset = build_dataset(config, now)
    spend = spend_rows(config, now)
    say(summary(dataset))
    reader = httpx.Client(headers={"Authorization": f"Bearer {args.read_token}"}, timeout=5)
    with httpx.Client(auth=(args.write_key, ""), timeout=30) as client, reader:
        try:
            wait_ready(client, args.ingest_url, args.wait_ready)
            progress = Progress(len(dataset.posts), reader, args.query_url)
            tally = feed(client, args.ingest_url, dataset.posts, args.rate, progress)
            spent = post_spend(client, args.ingest_url, spend)
        except FeedError as error:
            print(f"[demo] error: {error}", file=sys.stderr, flush=True)
            return 2
        say(f"{tally.accepted} records accepted by {args.ingest_url}")
        say(f"{spent.accepted} monthly spend rows posted (cost per channel: /v1/funnel/costs)")
        tally.rejected += spent.rejected
        for rejection in tally.rejected[:10]:
            print(f"[demo] rejected: {rejection}", file=sys.stderr, flush=True)
        say(f"dashboard: {args.query_url}/dashboard/ (read token: {args.read_token})")
        if args.watch > 0:
            watch_funnel(reader, args.query_url, args.watch, say)
        if args.live > 0:
            say(f"live: a new lead every {args.live_every:g}s for {args.live:g}s")
            run_live(client, args.ingest_url, config, args.live, args.live_every, say)
    if tally.rejected:
        print(f"[demo] error: {len(tally.rejected)} records rejected", file=sys.stderr, flush=True)
        return 1
    return 0

"""The demo's marketing spend: a month's budget per channel and campaign, posted to /v1/spend.

Ads buy volume of lower quality (demo/catalog.py), so their cost per SQL comes out far above
WeChat's and email's: the article's case of a channel a manager would shut.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import httpx

from demo.feed import Tally, send
from demo.plan import DemoConfig

# CNY a month; campaign None: the channel's running cost no campaign carries.
MONTHLY_BUDGET: dict[tuple[str, str | None], float] = {
    ("ads", "baidu-search"): 30_000,
    ("ads", "wechat-moments-ads"): 18_000,
    ("ads", "douyin-feed"): 26_000,
    ("wechat", "wechat-article-series"): 6_000,
    ("wechat", "wechat-live-webinar"): 8_000,
    ("wechat", None): 3_000,  # the official account's upkeep
    ("website", "seo-organic"): 4_000,
    ("website", "industry-expo-2026"): 20_000,
    ("email", "newsletter-monthly"): 1_500,
    ("email", "webinar-invite"): 2_500,
}
SPEND_PATH = "/v1/spend"


def _months(start: datetime, now: datetime) -> list[datetime]:
    first = start.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months = []
    while first < now:
        months.append(first)
        first = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return months


def _spent_share(month: datetime, now: datetime) -> float:
    """1 for a month that is over; the part gone so far of the current one (spend accrues)."""
    following = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    if now >= following:
        return 1.0
    return (now - month).total_seconds() / (following - month).total_seconds()


def spend_rows(config: DemoConfig, now: datetime) -> list[dict[str, Any]]:
    """Every month of the history (UTC calendar months), each budget varied ±15 % by the seed."""
    rows = []
    for month in _months(config.start(now), now):
        share = _spent_share(month, now)
        for (channel, campaign), budget in MONTHLY_BUDGET.items():
            key = f"{config.seed}:spend:{channel}:{campaign}:{month:%Y-%m}"
            amount = round(budget * random.Random(key).uniform(0.85, 1.15) * share, 2)
            row = {"channel": channel, "month": f"{month:%Y-%m}", "amount": amount}
            rows.append(row if campaign is None else {**row, "campaign": campaign})
    return rows


def post_spend(client: httpx.Client, ingest_url: str, rows: list[dict[str, Any]]) -> Tally:
    """Post the rows in one request (all or none); a re-run replaces the same months."""
    tally = Tally()
    answer = send(client, ingest_url + SPEND_PATH, rows)
    if answer.status_code == 200:
        tally.accepted = len(rows)
    else:
        tally.rejected.append(f"spend: {answer.status_code} {answer.text[:300]}")
    return tally

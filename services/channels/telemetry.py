"""Prometheus metrics of the channel adapters, defined once per process."""

from __future__ import annotations

from prometheus_client import Counter

# channel: wechat, google_ads, meta, a push profile's platform, website.
# outcome: accepted, duplicate, ignored, bot, or the rejection's reason code.
CHANNEL_REQUESTS = Counter(
    "leadfunnel_channel_requests",
    "Channel adapter requests (WeChat, ad platforms, website collector) by outcome",
    ("channel", "outcome"),
)


def record(channel: str, outcome: str) -> None:
    """Count one request of a channel adapter and how it ended."""
    CHANNEL_REQUESTS.labels(channel, outcome).inc()

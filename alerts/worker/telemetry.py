"""Prometheus metrics of `python -m alerts`, defined once per process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECORDS = Counter(
    "leadfunnel_alerts_records_total",
    "Source records read by the stale detector, by topic kind and outcome",
    ("source", "outcome"),  # outcome: applied | rejected | unresolved | skipped
)
RAISED = Counter(
    "leadfunnel_alerts_raised_total", "Alerts put into the outbox for the first time", ("kind",)
)
PUBLISHED = Counter(
    "leadfunnel_alerts_published_total", "Alerts acknowledged by the alert topic", ("kind",)
)
DELIVERED = Counter(
    "leadfunnel_alerts_webhook_delivered_total", "Webhook deliveries that succeeded", ("webhook",)
)
FAILED = Counter(
    "leadfunnel_alerts_webhook_failed_attempts_total",
    "Webhook delivery attempts that failed (each retry counts)",
    ("webhook",),
)
DEAD_LETTERED = Counter(
    "leadfunnel_alerts_webhook_dead_lettered_total",
    "Webhook deliveries given up after every attempt and sent to the dead-letter topic",
    ("webhook",),
)
OUTBOX_PENDING = Gauge("leadfunnel_alerts_outbox_pending", "Alerts waiting to be published")
LAG = Gauge(
    "leadfunnel_alerts_consumer_lag_messages",
    "Messages not yet read by the stale detector (end offset minus position)",
    ("topic", "partition"),
)
WATERMARK = Gauge(
    "leadfunnel_alerts_event_time_watermark_seconds",
    "Event time the stale sweep judges at (Unix seconds)",
)
STALE_LEADS = Gauge(
    "leadfunnel_alerts_stale_leads", "Active leads flagged stale and not yet reactivated"
)
BATCH_SECONDS = Histogram(
    "leadfunnel_alerts_batch_seconds",
    "Wall time of one detector transaction: a batch of records or a sweep",
    ("step",),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CHECK_VALUE = Gauge(
    "leadfunnel_health_check_value",
    "Last scheduled health check's value per indicator (ratios as fractions, cycle in days)",
    ("indicator",),
)
CHECK_ALARM = Gauge(
    "leadfunnel_health_check_alarm",
    "1 when the last scheduled health check found the indicator in its alarm range",
    ("indicator",),
)
CHECK_RUN_AT = Gauge(
    "leadfunnel_health_check_last_run_timestamp_seconds",
    "Wall-clock time the last scheduled health check ran",
)
PROMOTIONS_SEEN = Counter(
    "leadfunnel_alerts_promotions_seen_total",
    "Tier changes read from the promotions topic, by direction and tier reached",
    ("direction", "tier"),
)
for _tier in ("mql", "sql", "opportunity"):  # present at 0, so "none for hours" can be alerted on
    PROMOTIONS_SEEN.labels("promoted", _tier)

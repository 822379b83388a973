"""Prometheus metrics of the scoring worker (served on its web port at /metrics)."""

from __future__ import annotations

from collections import Counter as Tally
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter(
    "leadfunnel_scoring_events_total",
    "Resolved events at the scoring table, by admission (accepted = scored; duplicate dropped)",
    ["admission"],
)
RECEIVED = Counter(
    "leadfunnel_scoring_raw_events_total", "Raw events resolved, by event type", ["type"]
)
PROMOTIONS = Counter(
    "leadfunnel_scoring_promotions_total", "LeadPromoted published, by new tier", ["tier"]
)
DEMOTIONS = Counter(
    "leadfunnel_scoring_demotions_total", "LeadDemoted published, by new tier", ["tier"]
)
MERGES = Counter(
    "leadfunnel_scoring_merges_total",
    "Lead merges: found by identity, folded into survivor",
    ["stage"],
)
NURTURE = Counter(
    "leadfunnel_scoring_nurture_suggestions_total", "NurtureSuggested published", ["pack"]
)
SWEPT = Counter("leadfunnel_scoring_leads_swept_total", "Leads visited by decay sweeps")
DEAD_LETTERS = Counter(
    "leadfunnel_scoring_dead_letters_total", "Records sent to dead letters", ["source"]
)
LATENCY = Histogram(
    "leadfunnel_scoring_event_latency_seconds",
    "From ingest accepting an event (received_at) to its score being published",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
BATCH = Histogram(
    "leadfunnel_scoring_batch_seconds",
    "Processing time of one batch, outputs and table writes included",
    ["agent"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BATCH_SIZE = Histogram(
    "leadfunnel_scoring_batch_records",
    "Records per batch",
    ["agent"],
    buckets=(1, 10, 50, 100, 250, 500, 1000),
)
LAG = Gauge(
    "leadfunnel_scoring_consumer_lag_messages",
    "Records behind the end of each input partition",
    ["topic", "partition"],
)
TABLE_KEYS = Gauge(
    "leadfunnel_scoring_table_keys", "Keys held in each table (active and standby)", ["table"]
)
TABLE_BYTES = Gauge(
    "leadfunnel_scoring_table_bytes", "Bytes of the values held in each table", ["table"]
)
DUE = Gauge("leadfunnel_scoring_due_leads", "Leads in the sweep index")

_BY_NAME = {
    "admission": EVENTS,
    "received": RECEIVED,
    "promoted": PROMOTIONS,
    "demoted": DEMOTIONS,
    "nurture": NURTURE,
    "dead_letter": DEAD_LETTERS,
}


def record(counts: Tally[tuple[str, str]], received_at: list[datetime]) -> None:
    """Add one batch's outcome counts and latencies."""
    for (what, label), n in counts.items():
        if what in _BY_NAME:
            _BY_NAME[what].labels(label).inc(n)
        elif what == "merge_found":
            MERGES.labels("found").inc(n)
        elif what == "merged":
            MERGES.labels("folded").inc(n)
        elif what == "swept":
            SWEPT.inc(n)
    if received_at:
        now = datetime.now(UTC)
        for at in received_at:
            LATENCY.observe(max(0.0, (now - at).total_seconds()))

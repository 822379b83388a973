"""Prometheus metrics of the projector: lag per partition, rows written, batch latency."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LAG = Gauge(
    "leadfunnel_projector_lag_messages",
    "Messages in the log not yet projected (end offset minus stored position)",
    ["projector", "topic", "partition"],
)
ROWS_WRITTEN = Counter(
    "leadfunnel_projector_rows_written_total",
    "Rows written to the read models",
    ["projector", "table"],
)
RECORDS = Counter(
    "leadfunnel_projector_records_total",
    "Records read, by outcome: projected, dead_letter, tombstone, refetched",
    ["projector", "outcome"],
)
BATCH_SECONDS = Histogram(
    "leadfunnel_projector_batch_seconds",
    "Wall time of one batch: decode, fold, write and commit",
    ["projector"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BATCH_RECORDS = Histogram(
    "leadfunnel_projector_batch_records",
    "Records per batch",
    ["projector"],
    buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000),
)

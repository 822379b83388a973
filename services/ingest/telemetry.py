"""Prometheus metrics of the ingest service, defined once per process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENT_LABELS = ("channel", "type")

EVENTS_RECEIVED = Counter(
    "leadfunnel_ingest_events_received", "Events received, valid or not", EVENT_LABELS
)
EVENTS_ACCEPTED = Counter(
    "leadfunnel_ingest_events_accepted", "Events acknowledged by Kafka", EVENT_LABELS
)
EVENTS_REJECTED = Counter(
    "leadfunnel_ingest_events_rejected", "Events rejected, by reason", (*EVENT_LABELS, "reason")
)
REQUESTS_REJECTED = Counter(
    "leadfunnel_ingest_requests_rejected",
    "Whole requests rejected before their events were read (auth, size, JSON, rate, Kafka)",
    ("route", "reason"),
)
REQUEST_SECONDS = Histogram(
    "leadfunnel_ingest_request_seconds",
    "HTTP request latency",
    ("route", "method", "status"),
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS_IN_FLIGHT = Gauge("leadfunnel_ingest_requests_in_flight", "HTTP requests being served")
PRODUCE_SECONDS = Histogram(
    "leadfunnel_ingest_produce_seconds",
    "From the first send of a request's events to the last broker acknowledgement",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PRODUCE_ERRORS = Counter(
    "leadfunnel_ingest_produce_errors", "Publish attempts that failed, by error", ("error",)
)

"""Broker checks and idempotent topic creation with the kafka-python admin client."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError, TopicAlreadyExistsError

from schemas.topics import TopicSpec


def wait_for_broker(bootstrap: str, timeout: float) -> None:
    """Block until the broker answers a metadata request, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        remaining_ms = max(500, int((deadline - time.monotonic()) * 1000))
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap,
                request_timeout_ms=min(remaining_ms, 5000),
                bootstrap_timeout_ms=min(remaining_ms, 5000),
                reconnect_backoff_max_ms=1000,
            )
            try:
                admin.describe_cluster()
                return
            finally:
                admin.close()
        except (KafkaError, OSError) as error:
            last_error = error
            time.sleep(0.5)
    raise TimeoutError(f"Kafka at {bootstrap} did not answer within {timeout}s: {last_error!r}")


def ensure_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec],
    prefix: str,
    partitions: int,
    replication: int,
) -> list[str]:
    """Create the declared topics that do not exist yet; return the names created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        existing = set(admin.list_topics())
        wanted = {
            spec.name(prefix): {
                "num_partitions": spec.partitions or partitions,
                "replication_factor": replication,
                "configs": spec.configs(),
            }
            for spec in specs
            if spec.name(prefix) not in existing
        }
        if not wanted:
            return []
        # Another process may create them between list and create: that is fine.
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(wanted, timeout_ms=15000, wait_for_metadata=True)
        return sorted(wanted)
    finally:
        admin.close()

"""Scoring worker test helpers: run `python -m scoring`, feed it raw events, read its topics."""

from __future__ import annotations

import asyncio
import heapq
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.events import Event, event_json, parse_event
from schemas.topics import (
    RAW_EVENTS,
)
from services.ingest.publisher import create_producer
from services.settings import DEV_READ_TOKEN, Settings
from tests.support.helpers import free_port
from tests.support.scoring_outputs import Outputs

ROOT = Path(__file__).resolve().parents[2]
FAST = {  # short group timeouts: a start or restart takes seconds, not minutes
    "LEADFUNNEL_SCORING_SESSION_TIMEOUT_SECONDS": "6",
    "LEADFUNNEL_SCORING_HEARTBEAT_INTERVAL_SECONDS": "1",
    "LEADFUNNEL_SCORING_REBALANCE_TIMEOUT_SECONDS": "10",
    "LEADFUNNEL_SCORING_SWEEP_INTERVAL_SECONDS": "3600",
    "LEADFUNNEL_LOG_LEVEL": "info",
}


@pytest.fixture
def scoring_settings(isolated_settings: Settings) -> Settings:
    """Isolated topics plus a free web port for the worker."""
    return isolated_settings.model_copy(update={"scoring_web_port": free_port()})


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a worker subprocess reads its settings from."""
    return {
        **os.environ,
        **FAST,
        "LEADFUNNEL_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LEADFUNNEL_TOPIC_PREFIX": settings.topic_prefix,
        "LEADFUNNEL_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "LEADFUNNEL_SCORING_WEB_PORT": str(settings.scoring_web_port),
        **extra,
    }


@dataclass
class WorkerProcess:
    """A `python -m scoring` subprocess with its log."""

    settings: Settings
    log: Path
    extra: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.scoring_web_port}"

    def start(self, timeout: float = 60) -> WorkerProcess:
        """Start and wait until /readyz says partitions are assigned and tables recovered."""
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scoring"],
                cwd=ROOT,
                # its own table store: two workers of one app on one machine must not share it,
                # and a restart of this one finds what it stored
                env=worker_env(
                    self.settings,
                    LEADFUNNEL_SCORING_DATA_DIR=str(self.log.with_suffix(".data")),
                    **self.extra,
                ),
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"worker exited early:\n{self.tail()}", pytrace=False)
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"worker not ready in {timeout}s:\n{self.tail()}", pytrace=False)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def kill(self) -> None:
        """SIGKILL: no flush, no commit, no goodbye."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> int | None:
        """SIGTERM and wait (the graceful path)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def score(self, lead_id: str) -> httpx.Response:
        """GET /v1/leads/{lead_id}/score with the dev read token (redirects not followed)."""
        headers = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
        return httpx.get(f"{self.url}/v1/leads/{lead_id}/score", headers=headers, timeout=5)


@pytest.fixture
def worker(scoring_settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A (not yet started) worker; killed at the end of the test whatever happened."""
    process = WorkerProcess(scoring_settings, tmp_path / "worker.log")
    yield process
    process.kill()


# --- events -----------------------------------------------------------------------------------


def envelope(
    kind: str,
    identities: dict[str, str],
    properties: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
    event_id: str | None = None,
    channel: str = "website",
) -> Event:
    """A raw event as ingest publishes it (received now unless `at` says otherwise)."""
    when = at or datetime.now(UTC)
    data: dict[str, Any] = {
        "event_id": event_id or uuid.uuid4().hex,
        "type": kind,
        "channel": channel,
        "occurred_at": when.isoformat(),
        "received_at": when.isoformat(),
        "source": "tests",
        "identities": identities,
    }
    if properties is not None:
        data["properties"] = properties
    return parse_event(data)


def journey(anonymous_id: str, start: datetime) -> list[Event]:
    """A visitor who becomes an MQL (form + two videos) and then an SQL (demo)."""
    ids = {"anonymous_id": anonymous_id}

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    return [
        envelope(
            "page_viewed", ids, {"url": "https://x.cn/products/a", "dwell_seconds": 90}, at=at(0)
        ),
        envelope("form_submitted", ids, {"form_id": "contact"}, at=at(1)),
        envelope("video_watched", ids, {"video_id": "v1", "percent": 80}, at=at(2)),
        envelope("email_opened", ids, at=at(3)),
        envelope("video_watched", ids, {"video_id": "v2", "percent": 95}, at=at(4)),
        envelope("asset_downloaded", ids, {"asset_id": "p", "asset_kind": "price_list"}, at=at(5)),
        envelope("demo_requested", ids, at=at(6)),
        envelope(
            "page_viewed", ids, {"url": "https://x.cn/pricing", "dwell_seconds": 30}, at=at(7)
        ),
    ]


async def produce(settings: Settings, events: list[Event]) -> None:
    """Publish raw events the way ingest does (acks=all, idempotent, keyed by strongest id)."""
    producer = create_producer(settings)
    await producer.start()
    try:
        topic = RAW_EVENTS.name(settings.topic_prefix)
        pending = []
        for event in events:
            key = event.identities.strongest()
            value = event_json(event)
            pending.append(await producer.send(topic, value, key=key.encode() if key else None))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


# --- reading the outputs ------------------------------------------------------------------------


def scores_off(
    outputs: Outputs, reference: dict[str, float], tolerance: float = 0.0
) -> dict[str, tuple[float | None, float]]:
    """Leads whose last published score is missing or off the reference: (published, reference)."""
    latest = outputs.latest_scores()
    published = {lead: latest[lead].score if lead in latest else None for lead in reference}
    return {
        lead: (score, reference[lead])
        for lead, score in published.items()
        if score is None or abs(score - reference[lead]) > tolerance
    }


async def read_raw(settings: Settings) -> list[Event]:
    """Every raw event in the log: each partition in offset order, merged by append time."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    try:
        topic = RAW_EVENTS.name(settings.topic_prefix)
        tps = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: dict[int, list[Any]] = {tp.partition: [] for tp in tps}
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
                records[tp.partition] += batch
                if batch and batch[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    merged = heapq.merge(*records.values(), key=lambda record: record.timestamp)
    return [parse_event(record.value) for record in merged]

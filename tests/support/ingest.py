"""Helpers for the ingest integration tests (no tests here): real uvicorn server, topic reader."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import orjson
import uvicorn
from kafka import KafkaConsumer, TopicPartition

from runtime.kafka_admin import ensure_topics
from schemas.topics import ALL_TOPICS, RAW_EVENTS
from services.ingest.app import create_app
from services.settings import Settings, WriteKey, sha256_hex
from tests.support.helpers import free_port

WECHAT_KEY = "wk_test_wechat_only"
SLOW_KEY = "wk_test_two_per_second"


def own_topics(kafka_bootstrap: str) -> Settings:
    """Settings under a fresh topic prefix with every declared topic created."""
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    ensure_topics(kafka_bootstrap, ALL_TOPICS, prefix, partitions=2, replication=1)
    return Settings(kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, topic_partitions=2)


def with_test_keys(settings: Settings, **changes: Any) -> Settings:
    """Settings with the dev key plus a WeChat-only key and a slow key (2 events/s)."""
    keys = [
        *settings.write_keys,
        WriteKey(name="wechat-bot", sha256=sha256_hex(WECHAT_KEY), channels=["wechat"]),
        WriteKey(name="slow", sha256=sha256_hex(SLOW_KEY), rate_per_second=2),
    ]
    return settings.model_copy(update={"write_keys": keys, **changes})


@contextmanager
def serving(app: Any, name: str = "the app") -> Iterator[str]:
    """An ASGI app served by uvicorn on a free port in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, f"{name} did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@asynccontextmanager
async def app_client(
    app: Any, client: tuple[str, int] = ("127.0.0.1", 123)
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client into a started app (lifespan run) in this process, as `client` posts."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@contextmanager
def running_ingest(settings: Settings) -> Iterator[str]:
    """The ingest app served by uvicorn on a free port in a thread; yields its base URL."""
    with serving(create_app(settings), "ingest") as url:
        yield url


class RawTopic:
    """Reads the raw events topic from the beginning, without a consumer group."""

    def __init__(self, settings: Settings) -> None:
        self.topic = RAW_EVENTS.name(settings.topic_prefix)
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
        )
        partitions = self.consumer.partitions_for_topic(self.topic) or set()
        assert partitions, f"topic {self.topic} does not exist"
        self.consumer.assign([TopicPartition(self.topic, p) for p in sorted(partitions)])
        self.consumer.seek_to_beginning()

    def read(self, count: int, timeout: float = 15) -> list[Any]:
        """At least `count` records (fails after `timeout` seconds)."""
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            for batch in self.consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        assert len(records) >= count, f"only {len(records)} of {count} records arrived"
        return records

    def by_event_id(self, count: int) -> dict[str, Any]:
        """`count` records keyed by their event id."""
        return {orjson.loads(r.value)["event_id"]: r for r in self.read(count)}

    def close(self) -> None:
        """Close the consumer."""
        self.consumer.close()


def headers_of(record: Any) -> dict[str, bytes]:
    """A record's Kafka headers as a dict."""
    return dict(record.headers)

"""While Kafka is down ingest answers 503 + Retry-After, never 2xx; once it is back, 200 again."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from runtime.kafka_admin import ensure_topics
from schemas.topics import ALL_TOPICS
from services.ingest import examples
from services.settings import DEV_WRITE_KEY, Settings
from tests.support.ingest import RawTopic, free_port, running_ingest

KAFKA_SH = Path(__file__).resolve().parents[2] / "deploy" / "local" / "kafka.sh"


class PrivateBroker:
    """A broker of our own (own ports, own data folder): stopping it disturbs nobody."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "LEADFUNNEL_CACHE_DIR": str(folder),
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def run(self, command: str) -> None:
        done = subprocess.run(
            [str(KAFKA_SH), command], env=self.env, capture_output=True, text=True, timeout=150
        )
        assert done.returncode == 0, f"kafka.sh {command} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    private = PrivateBroker(tmp_path)
    private.run("start")
    try:
        yield private
    finally:
        private.run("stop")


def _event(event_id: str) -> dict[str, object]:
    return {**examples.NATIVE_PAGE_VIEWED, "event_id": event_id}


def test_broker_down_means_503_with_retry_after_and_back_means_success(
    broker: PrivateBroker,
) -> None:
    ensure_topics(broker.bootstrap, ALL_TOPICS, "outage.", partitions=1, replication=1)
    settings = Settings(
        kafka_bootstrap=broker.bootstrap,
        topic_prefix="outage.",
        ingest_publish_timeout_seconds=2.0,
        ingest_retry_after_seconds=3,
    )
    with (
        running_ingest(settings) as base_url,
        httpx.Client(base_url=base_url, auth=(DEV_WRITE_KEY, ""), timeout=30) as client,
    ):
        assert client.post("/v1/events", json=_event("before")).status_code == 200

        broker.run("stop")
        started = time.monotonic()
        down = client.post("/v1/events", json=_event("during"))
        batch = client.post("/v1/events/batch", json={"events": [_event("during-batch")]})
        assert (down.status_code, batch.status_code) == (503, 503), down.text
        assert down.headers["retry-after"] == "3" and down.json()["code"] == "kafka_unavailable"
        assert time.monotonic() - started < 10, "503 must come at the publish deadline"
        assert client.get("/readyz").status_code == 503

        broker.run("start")
        deadline = time.monotonic() + 60
        answer = client.post("/v1/events", json=_event("after"))
        while answer.status_code == 503 and time.monotonic() < deadline:
            time.sleep(int(answer.headers["retry-after"]) / 3)
            answer = client.post("/v1/events", json=_event("after"))
        assert answer.status_code == 200, answer.text

    topic = RawTopic(settings)
    try:
        ids = {orjson.loads(r.value)["event_id"] for r in topic.read(2, timeout=20)}
    finally:
        topic.close()
    assert {"before", "after"} <= ids


def test_ingest_starts_without_kafka_and_answers_503_until_it_connects(
    isolated_settings: Settings,
) -> None:
    nowhere = isolated_settings.model_copy(
        update={"kafka_bootstrap": f"127.0.0.1:{free_port()}", "ingest_publish_timeout_seconds": 1}
    )
    with (
        running_ingest(nowhere) as base_url,
        httpx.Client(base_url=base_url, auth=(DEV_WRITE_KEY, ""), timeout=10) as client,
    ):
        answer = client.post("/v1/events", json=_event("no-broker"))
        ready = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["code"] == "kafka_unavailable"
    assert int(answer.headers["retry-after"]) >= 1
    assert ready.status_code == 503 and "kafka" in ready.json()["failures"]

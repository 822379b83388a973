"""The whole system as `make run` starts it (every Procfile process), on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from runtime.kafka_admin import ensure_topics
from schemas.topics import ALL_TOPICS
from services.settings import Settings
from tests.conftest import drop_topics
from tests.support.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RunningSystem:
    """Where the running system answers, and the settings it runs with."""

    settings: Settings
    ingest_url: str
    query_url: str
    supervisor: subprocess.Popen[bytes]
    log: Path
    projector_url: str = ""  # the workers' ops endpoints: /healthz, /readyz, /metrics
    alerts_url: str = ""


def _wait_ready(urls: list[str], supervisor: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    pending = list(urls)
    while pending:
        if supervisor.poll() is not None:
            pytest.fail(f"the system exited early:\n{log.read_text()[-3000:]}", pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(f"not ready in 90 s: {pending}\n{log.read_text()[-3000:]}", pytrace=False)
        for url in list(pending):
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    pending.remove(url)
            except httpx.HTTPError:
                pass
        time.sleep(0.3)


@pytest.fixture(scope="session")
def running_system(
    kafka_bootstrap: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    """Start every Procfile process under honcho with its own topics and database."""
    prefix = f"e2e.{uuid.uuid4().hex[:8]}."
    ensure_topics(kafka_bootstrap, ALL_TOPICS, prefix, partitions=2, replication=1)
    ingest_port, query_port = free_port(), free_port()
    projector_port, alerts_port = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "LEADFUNNEL_DEV_MODE": "1",  # the development credentials below are the test's own
        "LEADFUNNEL_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "LEADFUNNEL_TOPIC_PREFIX": prefix,
        "LEADFUNNEL_TOPIC_PARTITIONS": "2",
        "DATABASE_URL": database_url,
        "LEADFUNNEL_INGEST_PORT": str(ingest_port),
        "LEADFUNNEL_QUERY_PORT": str(query_port),
        "LEADFUNNEL_LOG_LEVEL": "warning",
        # the workers' own ports too, so a system already running (make run) does not collide
        "LEADFUNNEL_PROJECTOR_METRICS_PORT": str(projector_port),
        "LEADFUNNEL_ALERTS_METRICS_PORT": str(alerts_port),
        "LEADFUNNEL_SCORING_WEB_PORT": str(free_port()),
    }
    log = tmp_path_factory.mktemp("system") / "system.log"
    with log.open("wb") as sink:
        supervisor = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "honcho"),
                "-f",
                "deploy/local/Procfile",
                "-d",
                str(ROOT),
                "start",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    system = RunningSystem(
        settings=Settings(
            kafka_bootstrap=kafka_bootstrap,
            topic_prefix=prefix,
            topic_partitions=2,
            database_url=database_url,
            ingest_port=ingest_port,
            query_port=query_port,
        ),
        ingest_url=f"http://127.0.0.1:{ingest_port}",
        query_url=f"http://127.0.0.1:{query_port}",
        supervisor=supervisor,
        log=log,
        projector_url=f"http://127.0.0.1:{projector_port}",
        alerts_url=f"http://127.0.0.1:{alerts_port}",
    )
    try:
        _wait_ready([system.ingest_url, system.query_url], supervisor, log)
        yield system
    finally:
        stop_system(supervisor)
        drop_topics(kafka_bootstrap, prefix)


def stop_system(supervisor: subprocess.Popen[bytes]) -> None:
    """Stop honcho and its children the way Ctrl-C does; kill the group if it hangs."""
    if supervisor.poll() is None:
        os.killpg(supervisor.pid, signal.SIGINT)
        try:
            supervisor.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()

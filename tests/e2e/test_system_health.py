"""The running system: every HTTP service is alive, ready and exposes Prometheus metrics."""

from __future__ import annotations

import time

import httpx

from tests.e2e.conftest import RunningSystem


def test_every_service_reports_ready_with_its_dependencies(running_system: RunningSystem) -> None:
    ingest = httpx.get(f"{running_system.ingest_url}/readyz").json()
    query = httpx.get(f"{running_system.query_url}/readyz").json()

    assert ingest["status"] == "ready" and "kafka" in ingest["checked"]
    assert query["status"] == "ready" and set(query["checked"]) >= {"kafka", "postgres"}


def test_every_service_is_alive_and_serves_prometheus_text(running_system: RunningSystem) -> None:
    for url in (running_system.ingest_url, running_system.query_url):
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        metrics = httpx.get(f"{url}/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "# TYPE process_cpu_seconds_total counter" in metrics.text


def test_the_workers_probes_say_what_they_check_and_refuse_unknown_paths(
    running_system: RunningSystem,
) -> None:
    for url in (running_system.projector_url, running_system.alerts_url):
        deadline = time.monotonic() + 60
        while (ready := httpx.get(f"{url}/readyz")).status_code != 200:
            assert time.monotonic() < deadline, ready.text  # 503 names what is not ready
            time.sleep(0.5)
        assert set(ready.json()["checked"]) == {"postgres", "consuming"}
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        assert "# TYPE process_cpu_seconds_total counter" in httpx.get(f"{url}/metrics").text
        assert httpx.get(f"{url}/anything").status_code == 404  # not prometheus_client's 200

"""Run the alerts worker: `python -m alerts` (stale detector, scheduled checks, outbox relay)."""

from __future__ import annotations

import asyncio
import logging
import signal

from alerts.wiring import alerts_config
from alerts.worker.probes import readiness
from alerts.worker.relay import AlertRelay
from alerts.worker.runner import StaleDetector
from runtime.logs import setup_logging
from runtime.worker_http import Heartbeat, serve_ops
from services.settings import Settings

log = logging.getLogger("alerts")


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    config = alerts_config(settings)
    detector = StaleDetector(config)
    heartbeat = Heartbeat(settings.worker_alive_seconds)
    checks = readiness(detector, settings.worker_ready_max_lag)
    ops = await serve_ops(
        "alerts",
        settings.host,
        settings.alerts_metrics_port,
        lambda: checks,
        heartbeat,
        settings.readiness_timeout_seconds,
    )
    await detector.start()
    relay = AlertRelay(config, detector.pool, wake=detector.raised)
    await relay.start()
    log.info("alerts worker running (schema %s)", config.schema)
    try:
        await asyncio.gather(detector.run(stop, heartbeat.beat), relay.run(stop))
    finally:
        await relay.stop()
        await detector.stop()
        if ops is not None:
            await ops.stop()


def main() -> None:
    """Serve /healthz, /readyz and /metrics; detect, check and relay until SIGINT or SIGTERM."""
    settings = Settings()
    setup_logging(settings.log_level)
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()

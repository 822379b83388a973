"""Run the alerts worker: `python -m alerts` (stale detector, scheduled checks, outbox relay)."""

from __future__ import annotations

import asyncio
import logging
import signal

from prometheus_client import start_http_server

from alerts.relay import AlertRelay
from alerts.worker import StaleDetector
from services.logs import setup_logging
from services.settings import Settings

log = logging.getLogger("alerts")


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    detector = StaleDetector(settings)
    await detector.start()
    relay = AlertRelay(settings, detector.pool, wake=detector.raised)
    await relay.start()
    log.info("alerts worker running (schema %s)", settings.alerts_schema)
    try:
        await asyncio.gather(detector.run(stop), relay.run(stop))
    finally:
        await relay.stop()
        await detector.stop()


def main() -> None:
    """Expose /metrics, then detect, check and relay until SIGINT or SIGTERM."""
    settings = Settings()
    setup_logging(settings.log_level)
    try:
        start_http_server(settings.alerts_metrics_port, addr=settings.host)
    except OSError as error:  # a second worker on the same host still works
        log.warning("metrics port %d unavailable: %s", settings.alerts_metrics_port, error)
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()

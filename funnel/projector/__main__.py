"""Run the projector: `python -m funnel.projector [--schema NAME] [--max-records N] [--alone]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from prometheus_client import start_http_server

from funnel.projector.runner import Projector
from services.logs import setup_logging
from services.settings import Settings

log = logging.getLogger("funnel.projector")


async def _main(
    settings: Settings, schema: str | None, max_records: int | None, group: bool
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    projector = Projector(settings, schema=schema, max_records=max_records, group=group)
    await projector.start()
    shared = "partitions shared with its consumer group" if group else "every partition"
    log.info("projecting into schema %s from %s", projector.schema, shared)
    try:
        await projector.run(stop)
    finally:
        await projector.stop()


def main() -> None:
    """Parse arguments, expose /metrics, project until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m funnel.projector")
    parser.add_argument("--schema", help="read-model schema (default: settings.funnel_schema)")
    parser.add_argument("--max-records", type=int, help="records per batch at most")
    parser.add_argument(
        "--alone",
        action="store_true",
        help="read every partition, no consumer group (default: LEADFUNNEL_PROJECTOR_SCALE_OUT)",
    )
    args = parser.parse_args()
    settings = Settings()
    setup_logging(settings.log_level)
    try:
        start_http_server(settings.projector_metrics_port, addr=settings.host)
    except OSError as error:  # a second projector on the same host still projects
        log.warning("metrics port %d unavailable: %s", settings.projector_metrics_port, error)
    group = settings.projector_scale_out and not args.alone
    asyncio.run(_main(settings, args.schema, args.max_records, group))


main()

"""Run the projector: `python -m funnel.projector [--schema NAME] [--max-records N] [--alone]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from funnel.projector.probes import readiness
from funnel.projector.runner import Projector
from funnel.wiring import projector_config
from runtime.collector import tune_for_streaming
from runtime.logs import setup_logging
from runtime.worker_http import Heartbeat, serve_ops
from services.settings import Settings

log = logging.getLogger("funnel.projector")


async def _main(
    settings: Settings, schema: str | None, max_records: int | None, group: bool
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    projector = Projector(
        projector_config(settings), schema=schema, max_records=max_records, group=group
    )
    heartbeat = Heartbeat(settings.worker_alive_seconds)
    checks = readiness(projector, settings.database_url, settings.worker_ready_max_lag)
    ops = await serve_ops(
        "projector",
        settings.host,
        settings.projector_metrics_port,
        lambda: checks,
        heartbeat,
        settings.readiness_timeout_seconds,
    )
    await projector.start()
    shared = "partitions shared with its consumer group" if group else "every partition"
    log.info("projecting into schema %s from %s", projector.schema, shared)
    try:
        await projector.run(stop, heartbeat.beat)
    finally:
        await projector.stop()
        if ops is not None:
            await ops.stop()


def main() -> None:
    """Parse arguments, serve /healthz, /readyz and /metrics, project until SIGINT or SIGTERM."""
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
    group = settings.projector_scale_out and not args.alone
    tune_for_streaming()  # modules, settings and rules loaded: out of the collector's scans
    asyncio.run(_main(settings, args.schema, args.max_records, group))


if __name__ == "__main__":
    main()

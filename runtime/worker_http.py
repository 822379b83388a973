"""HTTP of the background workers (projector, alerts): /healthz, /readyz, /metrics on one port.

prometheus_client's own server answered every path with 200, so a probe on `/readyz` said
ready whatever the worker did. This serves the same operational router as the HTTP services,
with the worker's own checks, inside the worker's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from runtime.ops_http import ReadinessCheck, ops_router

log = logging.getLogger("leadfunnel.worker_http")


class _Embedded(uvicorn.Server):
    """A uvicorn server that leaves the worker's own SIGTERM/SIGINT handling alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Heartbeat:
    """When a work loop last turned; stalled once it has not for `limit` seconds."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.last = time.monotonic()

    def beat(self) -> None:
        """The loop turned."""
        self.last = time.monotonic()

    def stalled(self) -> str | None:
        """Why the loop counts as stuck, or None."""
        idle = time.monotonic() - self.last
        return f"the work loop has not turned for {idle:.0f}s" if idle > self.limit else None


@dataclass
class OpsServer:
    """The running ops endpoints of a worker."""

    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        """Stop answering (after the worker has stopped its work)."""
        self.server.should_exit = True
        await self.task


async def serve_ops(
    name: str,
    host: str,
    port: int,
    checks: Callable[[], Mapping[str, ReadinessCheck]],
    heartbeat: Heartbeat,
    timeout: float,
) -> OpsServer | None:
    """Start serving in this event loop; None (logged) when the port is taken."""
    app = FastAPI(title=f"leadfunnel {name}", openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(ops_router(checks, timeout, heartbeat.stalled))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:  # a second worker on the same host still works
        sock.close()
        log.warning("ops port %d unavailable: %s", port, error)
        return None
    config = uvicorn.Config(app, log_config=None, lifespan="off", access_log=False)
    server = _Embedded(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"{name}-ops-http")
    return OpsServer(server, task)

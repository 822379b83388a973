"""Small helpers every test layer shares: a day counter from a fixed instant, a free TCP port."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timedelta


def days_from(t0: datetime) -> Callable[[float], datetime]:
    """`day(n)`: the instant n days (a fraction allowed) after `t0`."""

    def day(n: float) -> datetime:
        return t0 + timedelta(days=n)

    return day


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

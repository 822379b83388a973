"""Capturing the JSON log lines a logger writes, as the services format them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from runtime.logs import JsonLines


@contextmanager
def json_log_lines(name: str | None, level: int = logging.INFO) -> Iterator[io.StringIO]:
    """The lines logger `name` (None: the root) writes while the block runs, at `level`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger(name)
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)

"""Fixtures shared by integration tests (the root conftest has the broker and database ones).

Channel tests get a module-scoped ingest `server` (a module may override it with its own
settings), an HTTP `client` to it and a `topic` watch on its raw-events topic.
"""

from collections.abc import Iterator

import httpx
import pytest

from services.settings import Settings
from tests.integration.funnel_fixtures import funnel_settings
from tests.support.channel_server import TopicWatch, channel_server

__all__ = ["funnel_settings"]


@pytest.fixture(scope="module")
def server(kafka_bootstrap: str) -> Iterator[tuple[Settings, httpx.Client]]:
    with channel_server(kafka_bootstrap) as running:
        yield running


@pytest.fixture
def client(server: tuple[Settings, httpx.Client]) -> httpx.Client:
    return server[1]


@pytest.fixture
def topic(server: tuple[Settings, httpx.Client]) -> Iterator[TopicWatch]:
    watch = TopicWatch(server[0])
    yield watch
    watch.close()

"""The demo data set as the risk model's History, built once per size, seed and moment."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from forecast.model.features import History
from services.risk import demo
from tests.support.demo_factories import NOW


@lru_cache(maxsize=4)
def demo_history(leads: int = 2000, seed: int = 42, now: datetime = NOW) -> History:
    """Stays, communications and lead activity of the demo data set, as the projector keeps them."""
    return demo.demo_history(leads, seed, now)

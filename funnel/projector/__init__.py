"""The funnel projector: lead topics from Kafka into PostgreSQL read models, once in effect."""

from funnel.projector.runner import Projector, connect

__all__ = ["Projector", "connect"]

"""Settings → the funnel's plain config: the one funnel module that reads services.settings."""

from __future__ import annotations

from funnel.model.stages import stage_order
from funnel.projector.config import ProjectorConfig
from services.settings import Settings


def projector_config(settings: Settings) -> ProjectorConfig:
    """The projector's section of the settings."""
    return ProjectorConfig(
        database_url=settings.database_url,
        kafka_bootstrap=settings.kafka_bootstrap,
        topic_prefix=settings.topic_prefix,
        schema=settings.funnel_schema,
        order=stage_order(settings.sales_stages),
        points_rules_path=settings.points_rules_path,
        stage_gates_path=settings.stage_gates_path,
        batch_records=settings.projector_batch_records,
    )

"""Settings → the scoring worker's plain config: the one scoring module besides `__main__`
reading them."""

from __future__ import annotations

from scoring.worker.config import ScoringConfig
from services.settings import Settings


def scoring_config(settings: Settings) -> ScoringConfig:
    """The scoring worker's section of the settings (also what `ops` passes to rescore)."""
    return ScoringConfig(
        kafka_bootstrap=settings.kafka_bootstrap,
        topic_prefix=settings.topic_prefix,
        generation=settings.scoring_generation,
        topic_partitions=settings.topic_partitions,
        topic_replication=settings.topic_replication,
        rules_path=settings.scoring_rules_path,
        processing_guarantee=settings.scoring_processing_guarantee,
        store=settings.scoring_store,
        data_dir=settings.scoring_data_dir,
        session_timeout_seconds=settings.scoring_session_timeout_seconds,
        heartbeat_interval_seconds=settings.scoring_heartbeat_interval_seconds,
        rebalance_timeout_seconds=settings.scoring_rebalance_timeout_seconds,
        commit_interval_seconds=settings.scoring_commit_interval_seconds,
        batch_size=settings.scoring_batch_size,
        batch_within_seconds=settings.scoring_batch_within_seconds,
        sweep_interval_seconds=settings.scoring_sweep_interval_seconds,
        sweep_every_seconds=settings.scoring_sweep_every_seconds,
        sweep_min_change=settings.scoring_sweep_min_change,
        nurture_enabled=settings.scoring_nurture_enabled,
        web_host=settings.host,
        web_port=settings.scoring_web_port,
        read_token_sha256s=tuple(settings.read_token_sha256s),
    )

"""What the scoring worker needs to know, as plain values: `scoring.wiring` builds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """The scoring worker's section of the settings: topics, Faust app, batching, sweeps, web.

    The worker (`scoring.worker.app`, `agents`, `web`), its topic provisioning and `ops rescore`
    read this; only the entry points build it (`scoring.wiring.scoring_config`).
    """

    # the broker and the topics: the public ones under `topic_prefix`, the internal topics and
    # tables under the app id (`topic_prefix` + `generation`); new topics get these counts
    kafka_bootstrap: str
    topic_prefix: str
    generation: str  # bumped to re-score from the start into fresh tables (docs/scoring.md)
    topic_partitions: int
    topic_replication: int
    # the running rules: a YAML file, or empty for scoring/default_rules.yaml
    rules_path: str
    # the Faust app: delivery guarantee, where the tables live, the Kafka group's timeouts
    processing_guarantee: Literal["at_least_once", "exactly_once"]
    store: Literal["rocksdb", "memory"]  # on disk, or in memory (recovery reads the changelog)
    data_dir: str  # RocksDB tables live in <data_dir>/<app id>
    session_timeout_seconds: float
    heartbeat_interval_seconds: float
    rebalance_timeout_seconds: float
    commit_interval_seconds: float
    # the agents' batches: up to `batch_size` events, waiting at most `batch_within_seconds`
    batch_size: int
    batch_within_seconds: float
    # decay sweeps and nurture: the timer's period, how often a lead is swept, the smallest
    # score change a sweep publishes, whether nurture suggestions are made
    sweep_interval_seconds: float
    sweep_every_seconds: float
    sweep_min_change: float
    nurture_enabled: bool
    # the web port (/metrics, probes, the score view) and the read tokens' SHA-256 hex digests
    web_host: str
    web_port: int
    read_token_sha256s: tuple[str, ...]

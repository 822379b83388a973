"""`python -m scoring`: create the scoring topics, run the Faust worker until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import sys

import faust
from kafka.admin import KafkaAdminClient

from schemas.topics import ALL_TOPICS, RAW_EVENTS
from scoring import agents, web
from scoring.rules import RuleSet, default_rules, load_rules
from scoring.topics import INTERNAL_TOPICS, NURTURE, app_id
from scoring.worker import ScoringWorker
from services.kafka_admin import ensure_topics, wait_for_broker
from services.settings import Settings


def partition_counts(bootstrap: str, names: list[str]) -> dict[str, int]:
    """How many partitions each existing topic has."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        described = admin.describe_topics(names)
    finally:
        admin.close()
    return {item["name"]: len(item["partitions"]) for item in described if item["partitions"]}


def prepare_topics(settings: Settings) -> int:
    """Create the declared topics that are missing; the internal ones like events.raw's."""
    raw = RAW_EVENTS.name(settings.topic_prefix)
    ensure_topics(
        settings.kafka_bootstrap,
        [*ALL_TOPICS, NURTURE],
        settings.topic_prefix,
        settings.topic_partitions,
        settings.topic_replication,
    )
    partitions = partition_counts(settings.kafka_bootstrap, [raw])[raw]
    internal = app_id(settings.topic_prefix, settings.scoring_generation)
    ensure_topics(
        settings.kafka_bootstrap, INTERNAL_TOPICS, internal, partitions, settings.topic_replication
    )
    names = [spec.name(internal) for spec in INTERNAL_TOPICS]
    counts = partition_counts(settings.kafka_bootstrap, names)
    wrong = {name: n for name, n in counts.items() if n != partitions}
    if wrong:
        raise SystemExit(f"scoring: {raw} has {partitions} partitions but {wrong}; they must match")
    return partitions


def build(settings: Settings, rules: RuleSet | None = None) -> ScoringWorker:
    """The worker with its agents, timers and web views, topics created."""
    if rules is None:
        path = settings.scoring_rules_path
        rules = load_rules(path) if path else default_rules()
    worker = ScoringWorker(settings, rules, prepare_topics(settings))
    agents.register(worker)
    web.register(worker)
    return worker


def main() -> int:
    """Run the worker; Faust's worker handles SIGTERM/SIGINT by committing and stopping."""
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("kafka").setLevel(logging.ERROR)  # kafka-python admin chatter
    wait_for_broker(settings.kafka_bootstrap, timeout=60)
    worker = build(settings)
    logging.getLogger("scoring").info(
        "scoring %s: rules %s, %d partitions, web :%d",
        worker.app.conf.id,
        worker.rules.version,
        worker.partitions,
        settings.scoring_web_port,
    )
    faust.Worker(
        worker.app, loglevel=settings.log_level.upper(), quiet=True
    ).execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())

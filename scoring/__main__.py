"""`python -m scoring`: create the scoring topics, run the Faust worker until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import sys

import faust

from runtime.collector import SCORING_YOUNGEST, tune_for_streaming
from runtime.kafka_admin import wait_for_broker
from runtime.logs import logging_config, setup_logging
from scoring.model.rules import RuleSet, default_rules, load_rules
from scoring.wiring import scoring_config
from scoring.worker import agents, web
from scoring.worker.app import ScoringWorker
from scoring.worker.config import ScoringConfig
from scoring.worker.provision import prepare_topics
from services.settings import Settings


def build(config: ScoringConfig, rules: RuleSet | None = None) -> ScoringWorker:
    """The worker with its agents, timers and web views, topics created."""
    if rules is None:
        rules = load_rules(config.rules_path) if config.rules_path else default_rules()
    worker = ScoringWorker(config, rules, prepare_topics(config))
    agents.register(worker)
    web.register(worker)
    return worker


def main() -> int:
    """Run the worker; Faust's worker handles SIGTERM/SIGINT by committing and stopping."""
    settings = Settings()  # the one place the worker reads them: the rest takes its config
    config = scoring_config(settings)
    setup_logging(settings.log_level)
    # Faust's worker sets the root logger to DEBUG (for its terminal spinner): aiokafka then
    # built a debug record for every message produced (7 % of the worker's time, profiled)
    for name in ("aiokafka", "faust", "mode"):
        logging.getLogger(name).setLevel(settings.log_level.upper())
    wait_for_broker(config.kafka_bootstrap, timeout=60)
    worker = build(config)
    # the app, its rules and tables' plumbing are built: out of GC scans; a youngest generation
    # of 500,000 since its 4,096 decoded lead states churn through the older ones
    tune_for_streaming(SCORING_YOUNGEST)
    logging.getLogger("scoring").info(
        "scoring %s: rules %s, %d partitions, web :%d",
        worker.app.conf.id,
        worker.rules.version,
        worker.partitions,
        config.web_port,
    )
    faust.Worker(
        worker.app,
        loglevel=settings.log_level.upper(),
        quiet=True,
        logging_config=logging_config(settings.log_level),  # JSON lines, as every service
    ).execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())

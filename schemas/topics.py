"""Every Kafka topic, declared once: name, key, value contract, partitions, cleanup, retention."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FOREVER = -1
DAYS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """One topic's declaration; the admin client creates topics from these."""

    suffix: str
    key: str
    value: str
    cleanup_policy: Literal["delete", "compact"] = "delete"
    retention_ms: int = FOREVER
    partitions: int | None = None  # None: the configured default

    def name(self, prefix: str) -> str:
        """Full topic name under a deployment's prefix."""
        return f"{prefix}{self.suffix}"

    def configs(self) -> dict[str, str]:
        """Broker-side topic configuration."""
        configs: dict[str, str] = {"cleanup.policy": self.cleanup_policy}
        if self.cleanup_policy == "delete":
            configs["retention.ms"] = str(self.retention_ms)
        return configs


# Kafka is the source of truth: the logs that read models are rebuilt from keep data forever.
RAW_EVENTS = TopicSpec("events.raw", "strongest identity the event carries", "Event")
LEAD_EVENTS = TopicSpec("events.resolved", "lead_id", "ResolvedEvent")
LEAD_MERGES = TopicSpec("leads.merges", "surviving lead_id", "LeadsMerged")
LEAD_SCORES = TopicSpec("leads.scores", "lead_id", "ScoreChanged", cleanup_policy="compact")
PROMOTIONS = TopicSpec("leads.promotions", "lead_id", "LeadPromoted, LeadDemoted")
# published by the scoring worker's identity agent; consumers also take a bare CRM `Event`
SALES_STAGES = TopicSpec("sales.stages", "opportunity_id", "ResolvedEvent")
# erasures are replayed by every rebuild and rescore, so they are kept forever (they hold no PII)
ERASURES = TopicSpec("people.erasures", "lead_id", "PersonErased")
# a month's spend per channel / campaign: compacted, the latest posting of a month is the truth
SPEND = TopicSpec("marketing.spend", "spend_id", "SpendRecorded", cleanup_policy="compact")
ALERTS = TopicSpec("alerts", "subject id", "Alert", retention_ms=90 * DAYS)
DEAD_LETTERS = TopicSpec("dead-letters", "source topic", "DeadLetter", retention_ms=30 * DAYS)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    RAW_EVENTS,
    LEAD_EVENTS,
    LEAD_MERGES,
    LEAD_SCORES,
    PROMOTIONS,
    SALES_STAGES,
    ERASURES,
    SPEND,
    ALERTS,
    DEAD_LETTERS,
)

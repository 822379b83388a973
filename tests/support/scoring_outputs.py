"""What the scoring worker published, read back from its public topics (integration and e2e)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.outgoing import LeadDemoted, LeadPromoted, LeadsMerged, NurtureSuggested, ScoreChanged
from schemas.topics import LEAD_EVENTS, LEAD_MERGES, LEAD_SCORES, PROMOTIONS, SALES_STAGES
from scoring.worker.topics import NURTURE
from services.settings import Settings


@dataclass
class Outputs:
    """Everything the worker published so far, in log order per partition."""

    resolved: list[dict[str, Any]] = field(default_factory=list)
    scores: list[ScoreChanged] = field(default_factory=list)
    tier_changes: list[tuple[bytes, LeadPromoted | LeadDemoted]] = field(default_factory=list)
    merges: list[LeadsMerged] = field(default_factory=list)
    nurture: list[NurtureSuggested] = field(default_factory=list)
    stages: list[tuple[bytes, dict[str, Any]]] = field(default_factory=list)  # (key, resolved)

    @property
    def promotions(self) -> list[LeadPromoted]:
        return [c for _, c in self.tier_changes if isinstance(c, LeadPromoted)]

    def latest_scores(self) -> dict[str, ScoreChanged]:
        """The last ScoreChanged per lead (what the compacted topic keeps)."""
        return {change.lead_id: change for change in self.scores}


class OutputReader:
    """Reads the worker's public topics from the beginning, without a consumer group."""

    def __init__(self, settings: Settings, isolation_level: str = "read_uncommitted") -> None:
        self.settings, self.isolation_level = settings, isolation_level
        self.topics = {
            spec.name(settings.topic_prefix): spec
            for spec in (LEAD_EVENTS, LEAD_SCORES, PROMOTIONS, LEAD_MERGES, NURTURE, SALES_STAGES)
        }
        self.outputs = Outputs()
        self.consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> OutputReader:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            enable_auto_commit=False,
            isolation_level=self.isolation_level,
        )
        await self.consumer.start()
        tps = [
            TopicPartition(topic, p)
            for topic in self.topics
            for p in range(self.settings.topic_partitions)
        ]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.consumer:
            await self.consumer.stop()

    async def poll(self) -> Outputs:
        """Add what arrived since the last poll."""
        assert self.consumer is not None
        batches = await self.consumer.getmany(timeout_ms=300, max_records=10_000)
        for tp, records in sorted(batches.items()):
            spec = self.topics[tp.topic]
            for record in records:
                value = record.value or b""
                if spec is LEAD_EVENTS:
                    self.outputs.resolved.append(orjson.loads(value))
                elif spec is LEAD_SCORES:
                    self.outputs.scores.append(ScoreChanged.model_validate_json(value))
                elif spec is PROMOTIONS:
                    kind = orjson.loads(value)["kind"]
                    model = LeadPromoted if kind == "lead_promoted" else LeadDemoted
                    self.outputs.tier_changes.append((value, model.model_validate_json(value)))
                elif spec is NURTURE:
                    self.outputs.nurture.append(NurtureSuggested.model_validate_json(value))
                elif spec is SALES_STAGES:
                    self.outputs.stages.append((record.key or b"", orjson.loads(value)))
                else:
                    self.outputs.merges.append(LeadsMerged.model_validate_json(value))
        return self.outputs

    async def until(
        self,
        done: Callable[[Outputs], bool],
        timeout: float = 60,
        explain: Callable[[Outputs], str] | None = None,
    ) -> Outputs:
        """Poll until `done(outputs)` holds; fail with what was seen after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done(await self.poll()):
                return self.outputs
        o = self.outputs
        seen = f"{len(o.resolved)} resolved, {len(o.scores)} scores, {len(o.tier_changes)} tiers"
        why = f": {explain(o)}" if explain else ""
        pytest.fail(f"condition not met in {timeout}s ({seen}){why}", pytrace=False)

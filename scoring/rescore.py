"""Re-scoring: replay the raw log under a new rules file into a shadow table, report tier changes.

`python -m services.ops rescore NEW_RULES.yaml [--write-shadow]` reads events.raw from the start
to its current end, folds it in one process (`scoring.replay`) under the running rules and under
the new ones, brings both to now (decay), and reports how many leads would change tier. When the
live table's changelog has leads, it also says how many of them the replay under the running
rules agrees with (a determinism check). `--write-shadow` stores the shadow states in a compacted
topic. Switching is then: point LEADFUNNEL_SCORING_RULES_PATH at the file and bump
LEADFUNNEL_SCORING_GENERATION (docs/scoring.md, "Re-scoring").
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from schemas.events import Event, parse_event
from schemas.topics import RAW_EVENTS, TopicSpec
from scoring import codec
from scoring.engine import sweep
from scoring.provision import partition_counts
from scoring.replay import Replay
from scoring.rules import RuleSet, default_rules, load_rules
from scoring.state import LeadState, to_json
from scoring.topics import CHANGELOGS, app_id
from services.kafka_admin import ensure_topics
from services.settings import Settings


@dataclass
class RescoreReport:
    """What switching to the new rules would do to the leads' tiers."""

    current_version: str
    new_version: str
    events: int
    leads: int
    tier_changes: Counter[str] = field(default_factory=Counter)  # "sql→mql": n
    score_changes: int = 0
    live_leads: int = 0
    live_agreeing: int = 0
    shadow_topic: str | None = None

    @property
    def changed_tier(self) -> int:
        """Leads whose tier differs under the new rules."""
        return sum(self.tier_changes.values())

    def text(self) -> str:
        """The report as printed by `ops rescore`."""
        lines = [
            f"[rescore] {self.events} events, {self.leads} leads: rules {self.current_version}"
            f" → {self.new_version}",
            f"[rescore] {self.changed_tier} leads would change tier, "
            f"{self.score_changes} would change score",
        ]
        lines += [f"[rescore]   {move}: {n}" for move, n in sorted(self.tier_changes.items())]
        if self.live_leads:
            lines.append(
                f"[rescore] live table: {self.live_agreeing} of {self.live_leads} leads match a"
                f" replay under {self.current_version}"
            )
        if self.shadow_topic:
            lines.append(f"[rescore] shadow table written to {self.shadow_topic}")
        return "\n".join(lines)


async def _read_all(
    settings: Settings, topic: str
) -> list[list[tuple[int, bytes | None, bytes | None]]]:
    """Each partition's (timestamp, key, value) records from the start to the current end."""
    partitions = partition_counts(settings.kafka_bootstrap, [topic]).get(topic, 0)
    if not partitions:
        return []
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: dict[TopicPartition, list[tuple[int, bytes | None, bytes | None]]] = {
            tp: [] for tp in tps
        }
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            for tp, records in (
                await consumer.getmany(timeout_ms=1000, max_records=50_000)
            ).items():
                out[tp] += [(r.timestamp, r.key, r.value) for r in records if r.offset < ends[tp]]
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return [out[tp] for tp in tps]
    finally:
        await consumer.stop()


async def read_log(settings: Settings) -> list[Event]:
    """The raw events, each partition in order, merged by append time; dead letters skipped."""
    partitions = await _read_all(settings, RAW_EVENTS.name(settings.topic_prefix))
    events = []
    for _, _, value in heapq.merge(*partitions, key=lambda record: record[0]):
        try:
            events.append(parse_event(value or b""))
        except ValidationError:
            continue  # the worker dead-letters these
    return events


async def read_live(settings: Settings) -> dict[str, LeadState]:
    """The live leads table, from its changelog (latest value per lead)."""
    topic = CHANGELOGS[1].name(app_id(settings.topic_prefix, settings.scoring_generation))
    latest: dict[str, bytes | None] = {}
    for partition in await _read_all(settings, topic):
        for _, key, value in partition:
            latest[(key or b"").decode()] = value
    return {lead: codec.decode(raw) for lead, raw in latest.items() if raw is not None}


def as_of(leads: dict[str, LeadState], rules: RuleSet, now: datetime) -> dict[str, LeadState]:
    """Live leads decayed to the same moment, so tiers compare like with like."""
    return {k: sweep(v, now, rules)[0] for k, v in leads.items() if v.merged_into is None}


def compare(
    before: dict[str, LeadState], shadow: dict[str, LeadState], report: RescoreReport
) -> RescoreReport:
    """Count the leads whose tier (and score) differ between two tables."""
    for lead_id, after in shadow.items():
        was = before.get(lead_id)
        if was is not None and was.tier != after.tier:
            report.tier_changes[f"{was.tier.value}→{after.tier.value}"] += 1
        if was is None or was.score != after.score:
            report.score_changes += 1
    return report


async def write_shadow(settings: Settings, version: str, shadow: dict[str, LeadState]) -> str:
    """Store the shadow table in a compacted topic named after the rules version."""
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in version)
    spec = TopicSpec(f".shadow.{slug}", "lead_id", "LeadState JSON", cleanup_policy="compact")
    internal = app_id(settings.topic_prefix, settings.scoring_generation)
    ensure_topics(
        settings.kafka_bootstrap,
        [spec],
        internal,
        settings.topic_partitions,
        settings.topic_replication,
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for lead_id, state in sorted(shadow.items()):
            await producer.send(spec.name(internal), to_json(state), key=lead_id.encode())
        await producer.flush()
    finally:
        await producer.stop()
    return spec.name(internal)


async def rescore(
    settings: Settings, new_rules: str | Path, *, shadow: bool = False, now: datetime | None = None
) -> RescoreReport:
    """Replay the log under `new_rules`; report tier changes against the running rules."""
    path = settings.scoring_rules_path
    current, new = (load_rules(path) if path else default_rules()), load_rules(new_rules)
    moment, events = now or datetime.now(UTC), await read_log(settings)
    before = as_of(Replay(current).feed_all(events).leads, current, moment)
    after = as_of(Replay(new).feed_all(events).leads, new, moment)
    report = compare(
        before, after, RescoreReport(current.version, new.version, len(events), len(after))
    )
    live = as_of(await read_live(settings), current, moment)
    report.live_leads = len(live)
    report.live_agreeing = sum(
        1
        for lead_id, state in live.items()
        if lead_id in before
        and before[lead_id].tier == state.tier
        and abs(before[lead_id].score - state.score) <= 0.01
    )
    if shadow:
        report.shadow_topic = await write_shadow(settings, report.new_version, after)
    return report

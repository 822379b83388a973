"""Re-scoring: replay the raw log under a new rules file into a shadow table, report tier changes.

`python -m services.ops rescore NEW_RULES.yaml [--write-shadow]` streams events.raw from the start
to its current end (a bounded buffer per partition, a progress bar on stderr), folds it in one
process (`scoring.model.replay`) under the running rules and under the new ones at once, brings both
to now (decay), and reports how many leads would change tier. When the
live table's changelog has leads, it also says how many of them the replay under the running
rules agrees with (a determinism check). `--write-shadow` stores the shadow states in a compacted
topic. Switching is then: point LEADFUNNEL_SCORING_RULES_PATH at the file and bump
LEADFUNNEL_SCORING_GENERATION (docs/scoring.md, "Re-scoring").
"""

from __future__ import annotations

import sys
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from runtime.kafka_admin import ensure_topics
from runtime.progress import ProgressBar
from schemas.events import parse_event
from schemas.topics import RAW_EVENTS, TopicSpec
from scoring.model.engine import sweep
from scoring.model.replay import Replay
from scoring.model.rules import RuleSet, default_rules, load_rules
from scoring.model.state import LeadState, to_json
from scoring.worker import codec
from scoring.worker.config import ScoringConfig
from scoring.worker.provision import partition_counts
from scoring.worker.topics import CHANGELOGS, app_id


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


Record = tuple[int, bytes | None, bytes | None]  # (append time, key, value)
Progress = Callable[[int, int], None]
BATCH = 2_000  # records buffered per partition: memory is bounded by this, not by the log


async def stream_records(
    config: ScoringConfig, topic: str, progress: Progress = lambda done, total: None
) -> AsyncIterator[Record]:
    """Every record from the start to the current end, each partition in order, partitions
    merged by append time; at most `BATCH` records per partition held at once."""
    partitions = partition_counts(config.kafka_bootstrap, [topic]).get(topic, 0)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=config.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        starts, ends = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
        total, done = sum(ends[tp] - starts[tp] for tp in tps), 0
        buffers: dict[TopicPartition, deque[Record]] = {tp: deque() for tp in tps}
        unread = {tp for tp in tps if ends[tp] > starts[tp]}
        progress(done, total)
        while unread or any(buffers.values()):
            for tp in [tp for tp in tps if tp in unread and not buffers[tp]]:
                await _refill(consumer, tp, ends[tp], buffers[tp], unread)
            if any(tp in unread and not buffers[tp] for tp in tps):
                continue  # the merge must see the head of every partition not yet finished
            heads = [
                (buffer[0][0], index) for index, buffer in enumerate(buffers.values()) if buffer
            ]
            yield buffers[tps[min(heads)[1]]].popleft()
            done += 1
            progress(done, total)
        progress(total, total)  # read to the end (offsets of transaction markers included)
    finally:
        await consumer.stop()


async def _refill(
    consumer: AIOKafkaConsumer,
    tp: TopicPartition,
    end: int,
    buffer: deque[Record],
    unread: set[TopicPartition],
) -> None:
    records = (await consumer.getmany(tp, timeout_ms=1000, max_records=BATCH)).get(tp, [])
    buffer.extend((r.timestamp, r.key, r.value) for r in records if r.offset < end)
    # the position also passes offsets no record is returned for (transaction markers)
    if (records and records[-1].offset + 1 >= end) or await consumer.position(tp) >= end:
        unread.discard(tp)


async def replay_log(config: ScoringConfig, replays: list[Replay], progress: Progress) -> int:
    """Feed the raw log, streamed, to every replay; the events fed (dead letters skipped)."""
    events = 0
    async for _, _, value in stream_records(config, RAW_EVENTS.name(config.topic_prefix), progress):
        try:
            event = parse_event(value or b"")
        except ValidationError:
            continue  # the worker dead-letters these
        for replay in replays:
            replay.feed(event)
            replay.emitted.clear()  # only the leads are compared: keep memory to the leads
        events += 1
    return events


async def read_live(config: ScoringConfig) -> dict[str, LeadState]:
    """The live leads table, from its changelog (latest value per lead)."""
    topic = CHANGELOGS[1].name(app_id(config.topic_prefix, config.generation))
    latest: dict[str, bytes | None] = {}
    async for _, key, value in stream_records(config, topic):
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


async def write_shadow(config: ScoringConfig, version: str, shadow: dict[str, LeadState]) -> str:
    """Store the shadow table in a compacted topic named after the rules version."""
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in version)
    spec = TopicSpec(f".shadow.{slug}", "lead_id", "LeadState JSON", cleanup_policy="compact")
    internal = app_id(config.topic_prefix, config.generation)
    ensure_topics(
        config.kafka_bootstrap,
        [spec],
        internal,
        config.topic_partitions,
        config.topic_replication,
    )
    producer = AIOKafkaProducer(bootstrap_servers=config.kafka_bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for lead_id, state in sorted(shadow.items()):
            await producer.send(spec.name(internal), to_json(state), key=lead_id.encode())
        await producer.flush()
    finally:
        await producer.stop()
    return spec.name(internal)


async def rescore(
    config: ScoringConfig,
    new_rules: str | Path,
    *,
    shadow: bool = False,
    now: datetime | None = None,
    stream: TextIO = sys.stderr,
) -> RescoreReport:
    """Replay the log under `new_rules`; report tier changes against the running rules.

    The log is streamed once through both replays, with a progress bar on `stream`.
    """
    path = config.rules_path
    current, new = (load_rules(path) if path else default_rules()), load_rules(new_rules)
    running, trial = Replay(current), Replay(new)
    bar = ProgressBar(stream, label="rescore", unit="records", rate_unit="records/s")
    events = await replay_log(config, [running, trial], bar.update)
    moment = now or datetime.now(UTC)
    before = as_of(running.leads, current, moment)
    after = as_of(trial.leads, new, moment)
    report = compare(before, after, RescoreReport(current.version, new.version, events, len(after)))
    live = as_of(await read_live(config), current, moment)
    report.live_leads = len(live)
    report.live_agreeing = sum(
        1
        for lead_id, state in live.items()
        if lead_id in before
        and before[lead_id].tier == state.tier
        and abs(before[lead_id].score - state.score) <= 0.01
    )
    if shadow:
        report.shadow_topic = await write_shadow(config, report.new_version, after)
    return report

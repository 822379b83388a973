"""The RocksDB table store: a worker killed and restarted recovers its leads from its own disk;
a worker without one recovers from the changelog, whatever format older code wrote it in."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rocksdict
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.events import Event
from scoring.model.replay import Replay
from scoring.model.rules import default_rules
from scoring.model.state import to_json
from scoring.worker import codec
from scoring.worker.topics import app_id
from services.settings import Settings
from tests.integration.scoring_fixtures import (  # noqa: F401 (fixtures)
    WorkerProcess,
    journey,
    produce,
    read_raw,
    scores_off,
    scoring_settings,
    worker,
)
from tests.support.kafka import read_topic
from tests.support.scoring_outputs import OutputReader

LEADS = 30
OFFSET_KEY = b"__faust\0offset__"


async def _changelog_ends(settings: Settings) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        topic = f"{app_id(settings.topic_prefix)}-leads-changelog"
        tps = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
        return {tp.partition: end for tp, end in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


def _stored_offsets(data: Path) -> dict[int, int]:
    """The changelog offset each partition's leads database says it holds (worker not running)."""
    found = {}
    for path in data.rglob("leads-*.db"):
        db = rocksdict.Rdict(
            str(path),
            options=rocksdict.Options(raw_mode=True),
            access_type=rocksdict.AccessType.read_only(),
        )
        try:
            offset = db.get(OFFSET_KEY)
            found[int(path.stem.rsplit("-", 1)[1])] = int(offset) if offset else -1
        finally:
            db.close()
    return found


async def _scored(settings: Settings, events: list[Event]) -> dict[str, float]:
    """Publish the events and wait until the worker's scores are the replay of the whole log."""
    async with OutputReader(settings) as reader:
        await produce(settings, events)
        reference = Replay(default_rules()).feed_all(await read_raw(settings))
        finals = {lead: state.score for lead, state in reference.survivors().items()}
        await reader.until(lambda o: not scores_off(o, finals), timeout=90)
    return finals


async def _scored_then_killed(
    settings: Settings, process: WorkerProcess, name: str
) -> tuple[list[list[Event]], dict[str, Any]]:
    """`LEADS` journeys whose first six events a started worker scored before a SIGKILL: the
    journeys, and every lead's score answer just before the kill."""
    start = datetime.now(UTC) - timedelta(hours=1)
    trails = [journey(f"{name}-{n}", start + timedelta(seconds=n)) for n in range(LEADS)]
    process.start()
    finals = await _scored(settings, [e for trail in trails for e in trail[:6]])
    before = {lead: process.score(lead).json() for lead in finals}
    process.kill()
    return trails, before


async def test_a_killed_worker_restarts_from_its_rocksdb_store_with_the_same_scores(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
) -> None:
    trails, before = await _scored_then_killed(scoring_settings, worker, "store")

    # every change is on disk with its changelog offset: a restart reads no changelog record
    ends = await _changelog_ends(scoring_settings)
    stored = _stored_offsets(worker.log.with_suffix(".data"))
    assert stored == {p: end - 1 for p, end in ends.items() if end > 0}

    worker.start()
    after = {lead: worker.score(lead).json() for lead in before}
    assert after == before  # score, tier, breakdown, recent events, identities
    # and the recovered states go on from where they were
    await _scored(scoring_settings, [e for trail in trails for e in trail[6:]])


async def test_a_new_worker_goes_on_from_lead_states_older_code_wrote_as_json(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
) -> None:
    """An upgrade: the leads changelog's latest values are the JSON the table held before any
    codec, and the worker has no local store (a new pod): it recovers them, answers the same and
    goes on scoring (the unit tests read a format 1 value the same way)."""
    trails, before = await _scored_then_killed(scoring_settings, worker, "json")

    topic = f"{app_id(scoring_settings.topic_prefix)}-leads-changelog"
    latest = dict(await read_topic(scoring_settings, topic))  # each key's last value
    producer = AIOKafkaProducer(bootstrap_servers=scoring_settings.kafka_bootstrap)
    await producer.start()
    rewritten = 0
    try:
        for key, value in latest.items():
            if value is not None and value[:1] == bytes((codec.FORMAT_V2,)):
                # keyed alone: the producer's murmur2 partition is the table's (docs/scoring.md)
                await producer.send_and_wait(topic, to_json(codec.decode(value)), key=key)
                rewritten += 1
    finally:
        await producer.stop()
    assert rewritten >= len(before)
    shutil.rmtree(worker.log.with_suffix(".data"))

    worker.start()
    assert {lead: worker.score(lead).json() for lead in before} == before
    await _scored(scoring_settings, [e for trail in trails for e in trail[6:]])

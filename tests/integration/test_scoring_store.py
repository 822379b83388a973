"""The RocksDB table store: a worker killed and restarted recovers its leads from its own disk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import rocksdict
from aiokafka import AIOKafkaConsumer, TopicPartition

from scoring.model.replay import Replay
from scoring.model.rules import default_rules
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


async def test_a_killed_worker_restarts_from_its_rocksdb_store_with_the_same_scores(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    trails = [journey(f"store-{n}", start + timedelta(seconds=n)) for n in range(LEADS)]
    worker.start()
    async with OutputReader(scoring_settings) as reader:
        await produce(scoring_settings, [event for trail in trails for event in trail[:6]])
        reference = Replay(default_rules()).feed_all(await read_raw(scoring_settings))
        finals = {lead: state.score for lead, state in reference.survivors().items()}
        await reader.until(lambda o: not scores_off(o, finals), timeout=90)
    before = {lead: worker.score(lead).json() for lead in finals}
    worker.kill()

    # every change is on disk with its changelog offset: a restart reads no changelog record
    ends = await _changelog_ends(scoring_settings)
    stored = _stored_offsets(worker.log.with_suffix(".data"))
    assert stored == {p: end - 1 for p, end in ends.items() if end > 0}

    worker.start()
    after = {lead: worker.score(lead).json() for lead in finals}
    assert after == before  # score, tier, breakdown, recent events, identities
    # and the recovered states go on from where they were
    async with OutputReader(scoring_settings) as reader:
        await produce(scoring_settings, [event for trail in trails for event in trail[6:]])
        reference = Replay(default_rules()).feed_all(await read_raw(scoring_settings))
        finals = {lead: state.score for lead, state in reference.survivors().items()}
        await reader.until(lambda o: not scores_off(o, finals), timeout=90)

"""`ops rescore`: replay the log under new rules into a shadow table and report before switching."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from scoring.model.rules import DEFAULT_RULES_PATH
from scoring.wiring import scoring_config
from scoring.worker import rescore
from scoring.worker.topics import app_id
from services.settings import Settings
from tests.integration.scoring_fixtures import (  # noqa: F401 (fixtures)
    ROOT,
    WorkerProcess,
    journey,
    produce,
    scoring_settings,
    worker,
    worker_env,
)
from tests.support.scoring_outputs import OutputReader


def _stricter_rules(tmp_path: Path) -> Path:
    """SQL needs two demo requests; email opens are worth 3 points."""
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    text = text.replace('version: "2026.11-2"', 'version: "2026.12-rc1"')
    text = text.replace(
        "sql: demo_requested >= 1 or (tier >= mql and score >= 80)", "sql: demo_requested >= 2"
    )
    text = text.replace("event: email_opened\n    points: 2", "event: email_opened\n    points: 3")
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_rescore_reports_the_leads_that_would_change_tier_and_writes_the_shadow_table(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
    tmp_path: Path,
) -> None:
    start = datetime.now(UTC) - timedelta(hours=2)
    sql_leads = [e for n in range(6) for e in journey(f"rescore-sql-{n}", start)]
    mql_leads = [e for n in range(4) for e in journey(f"rescore-mql-{n}", start)[:5]]  # no demo
    await produce(scoring_settings, sql_leads + mql_leads)
    worker.start()
    async with OutputReader(scoring_settings) as reader:
        await reader.until(lambda o: len(o.latest_scores()) == 10 and len(o.promotions) == 16)

    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.ops",
            "rescore",
            str(_stricter_rules(tmp_path)),
            "--write-shadow",
        ],
        cwd=ROOT,
        env=worker_env(scoring_settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
    report = [line for line in answer.stdout.splitlines() if line.startswith("[rescore]")]
    # the log is streamed with a progress bar on stderr, as `rebuild` shows one
    bar = [line for line in answer.stderr.splitlines() if line.startswith("[rescore] [")]
    assert bar and "68/68 records 100.0%" in bar[-1] and "ETA" in bar[-1], answer.stderr[-2000:]
    shadow = f"{app_id(scoring_settings.topic_prefix)}.shadow.2026-12-rc1"
    assert report == [
        "[rescore] 68 events, 10 leads: rules 2026.11-2 → 2026.12-rc1",
        "[rescore] 6 leads would change tier, 10 would change score",
        "[rescore]   sql→mql: 6",
        "[rescore] live table: 10 of 10 leads match a replay under 2026.11-2",
        f"[rescore] shadow table written to {shadow}",
    ]
    consumer = AIOKafkaConsumer(bootstrap_servers=scoring_settings.kafka_bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(shadow, p) for p in range(scoring_settings.topic_partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records = [r for batch in (await consumer.getmany(timeout_ms=3000)).values() for r in batch]
    finally:
        await consumer.stop()
    assert len({r.key for r in records}) == 10
    assert all(b'"rule_version":"2026.12-rc1"' in (r.value or b"") for r in records)


async def test_the_log_streams_in_small_batches_merged_by_append_time(
    kafka_bootstrap: str, topic_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = topic_factory("stream", partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(60):  # rising in each partition, interleaved across them
            stamp = 1_700_000_000_000 + n // 3 * 3000 + (2 - n % 3) * 1000
            await producer.send_and_wait(topic, b"%d" % n, partition=n % 3, timestamp_ms=stamp)
    finally:
        await producer.stop()
    monkeypatch.setattr(rescore, "BATCH", 4)  # many refills per partition
    seen: list[tuple[int, int]] = []
    config = scoring_config(Settings(kafka_bootstrap=kafka_bootstrap))
    records = [r async for r in rescore.stream_records(config, topic, lambda *p: seen.append(p))]

    stamps = [stamp for stamp, _, _ in records]
    assert len(records) == 60 and stamps == sorted(stamps) and len(set(stamps)) == 60
    assert seen[0] == (0, 60) and seen[-1] == (60, 60) and len(seen) >= 60

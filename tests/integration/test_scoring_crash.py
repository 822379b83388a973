"""SIGKILL the scoring worker mid-stream: no score or promotion is lost, none differs after dedupe.

The worker runs at-least-once with idempotent emission (docs/scoring.md, "Exactly once"): after a
crash it may publish a promotion again, always byte-identical under the same deterministic id,
so a consumer that dedupes by `promotion_id` sees each crossing exactly once.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from schemas.events import Event
from scoring.model.replay import Replay
from scoring.model.rules import default_rules
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
from tests.support.scoring_outputs import OutputReader, Outputs

LEADS = 240


def _stream(start: datetime) -> list[Event]:
    """Journeys interleaved as they would arrive, with ingest retries resending some events."""
    rng = random.Random(5)
    journeys = [journey(f"crash-{n}", start + timedelta(seconds=n)) for n in range(LEADS)]
    stream: list[Event] = []
    while any(journeys):
        trail = rng.choice([j for j in journeys if j])
        stream.append(trail.pop(0))
        if rng.random() < 0.05:
            stream.append(stream[-1])  # a client retry: same event id again
    return stream


@pytest.mark.parametrize(
    ("guarantee", "isolation"),
    [
        ("at_least_once", "read_uncommitted"),  # the shipped setting
        ("exactly_once", "read_committed"),  # Faust transactions, for comparison (docs/scoring.md)
    ],
)
async def test_sigkill_mid_stream_then_restart_gives_reference_scores_and_each_promotion_once_after_dedupe_by_id(  # noqa: E501
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
    guarantee: str,
    isolation: str,
) -> None:
    stream = _stream(datetime.now(UTC) - timedelta(hours=1))
    waves = [stream[i : i + 150] for i in range(0, len(stream), 150)]
    worker.extra = {"LEADFUNNEL_SCORING_PROCESSING_GUARANTEE": guarantee}
    worker.start()
    async with OutputReader(scoring_settings, isolation) as reader:
        for wave in waves[: len(waves) // 2]:
            await produce(scoring_settings, wave)
            await asyncio.sleep(0.05)
        # kill while the worker is still busy with what was just produced
        await reader.until(lambda o: len(o.promotions) >= LEADS // 4, timeout=60)
        worker.kill()
        killed_at = len(reader.outputs.promotions)
        for wave in waves[len(waves) // 2 :]:
            await produce(scoring_settings, wave)
        worker.start()

        reference = Replay(default_rules()).feed_all(await read_raw(scoring_settings))
        expected = {p.promotion_id for p in reference.emitted if hasattr(p, "promotion_id")}
        finals = {lead: state.score for lead, state in reference.survivors().items()}

        event_ids = {e.event_id for e in stream}

        def gaps(o: Outputs) -> tuple[dict[str, tuple[float | None, float]], set[str], set[str]]:
            """Leads off their reference score, promotions missing, events never resolved."""
            absent = expected - {p.promotion_id for p in o.promotions}
            unresolved = event_ids - {r["event"]["event_id"] for r in o.resolved}
            return scores_off(o, finals), absent, unresolved

        def caught_up(o: Outputs) -> bool:
            return not any(gaps(o))

        def missing(o: Outputs) -> str:
            wrong, absent, unresolved = gaps(o)
            return (
                f"{len(wrong)} leads off their reference score (published, reference) "
                f"{dict(list(wrong.items())[:5])}; {len(absent)} promotions missing; "
                f"{len(unresolved)} events never resolved"
            )

        outputs = await reader.until(caught_up, timeout=150, explain=missing)

    assert len(finals) == LEADS and killed_at < 2 * LEADS  # killed mid-stream
    latest = outputs.latest_scores()
    assert {lead: latest[lead].score for lead in finals} == finals
    assert {lead: latest[lead].tier for lead in finals} == {
        lead: state.tier for lead, state in reference.survivors().items()
    }
    # every promotion id the reference emits, no other; duplicates are byte-identical copies
    copies: dict[str, set[bytes]] = defaultdict(set)
    for raw, change in outputs.tier_changes:
        copies[getattr(change, "promotion_id", "")].add(raw)
    assert set(copies) == expected
    assert all(len(variants) == 1 for variants in copies.values())
    deduped = Counter({p.promotion_id for p in outputs.promotions})
    assert set(deduped.values()) == {1} and len(deduped) == 2 * LEADS  # MQL and SQL per lead
    duplicates = len(outputs.promotions) - len(deduped)
    print(f"\n[crash {guarantee}] {len(stream)} events, {duplicates} duplicates before dedupe")
    # every raw event reached events.resolved (at least once)
    assert {r["event"]["event_id"] for r in outputs.resolved} == event_ids


async def test_sigterm_mid_stream_stops_cleanly_and_the_restart_publishes_no_promotion_twice(
    scoring_settings: Settings,  # noqa: F811
    worker: WorkerProcess,  # noqa: F811
) -> None:
    stream = _stream(datetime.now(UTC) - timedelta(hours=1))[:800]
    worker.start()
    async with OutputReader(scoring_settings) as reader:
        await produce(scoring_settings, stream)
        await reader.until(lambda o: len(o.promotions) >= 20)
        assert worker.stop() == 0  # graceful: finish the batch, commit, exit
        worker.start()
        reference = Replay(default_rules()).feed_all(await read_raw(scoring_settings))
        expected = {p.promotion_id for p in reference.emitted if hasattr(p, "promotion_id")}
        outputs = await reader.until(lambda o: {p.promotion_id for p in o.promotions} >= expected)
        await asyncio.sleep(2)
        outputs = await reader.poll()
    assert sorted(p.promotion_id for p in outputs.promotions) == sorted(expected)

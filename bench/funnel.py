"""Funnel benchmark: projector rows/s against a plain COPY, and query API p95 at scale.

    python -m bench funnel                          # defaults: a few minutes on 2 cores
    python -m bench funnel --leads 1000000 --events-per-lead 10   # the 1M leads / 10M events run

Phase 1 publishes `--projector-leads` leads' worth of contract messages to fresh topics and
projects them (real Kafka, real PostgreSQL), then COPYs the same timeline rows into an empty
copy of the same table: rows/s of both, and their ratio. Phase 2 loads `--leads` leads with
`--events-per-lead` timeline events each straight into a fresh read-model schema (COPY) and
times the query API in process (ASGI, no network): p50 / p95 per endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaProducer
from kafka.admin import KafkaAdminClient

from funnel.model.periods import Period
from funnel.model.tiers import GroupBy
from funnel.projector import Projector, connect, telemetry
from funnel.projector.rebuild import clone_schema, create_secondary_indexes, drop_schema
from funnel.store import reference
from funnel.store.queries import Segment
from funnel.wiring import projector_config
from runtime.kafka_admin import ensure_topics
from runtime.migrations import apply_migrations
from schemas.topics import ALL_TOPICS, LEAD_EVENTS, LEAD_SCORES, PROMOTIONS
from services.query.app import create_app
from services.settings import DEV_READ_TOKEN, Settings

START = datetime(2025, 1, 1, tzinfo=UTC)
CHANNELS = ("website", "wechat", "ads", "email", "crm")
STAGES = ("first_contact", "needs_confirmed", "demo", "quote_negotiation", "contract_approval")
TIERS = ("lead", "mql", "sql", "opportunity")


def _lead(n: int, rng: random.Random) -> dict[str, Any]:
    seen = START + timedelta(days=rng.random() * 365)
    tier = rng.choices(TIERS, weights=(60, 25, 10, 5))[0]
    return {
        "lead_id": f"lead-{n}",
        "seen": seen,
        "channel": CHANNELS[n % len(CHANNELS)],
        "campaign": f"campaign-{n % 20}",
        "rank": TIERS.index(tier),
        "tier": tier,
        "score": round(rng.random() * 25 + 25 * TIERS.index(tier), 1),
    }


def _event(lead: dict[str, Any], k: int, at: datetime) -> dict[str, Any]:
    return {
        "event_id": f"{lead['lead_id']}-e{k}",
        "type": "page_viewed",
        "channel": lead["channel"],
        "occurred_at": at.isoformat(),
        "received_at": at.isoformat(),
        "source": "bench",
        "identities": {"anonymous_id": f"anon-{lead['lead_id']}"},
        "campaign": lead["campaign"],
        "properties": {"url": f"/p/{k % 7}", "dwell_seconds": k % 60},
    }


def contract_messages(
    leads: int, events_per_lead: int, prefix: str
) -> Iterator[tuple[str, bytes, bytes]]:
    """(topic, key, value) of resolved events, score changes and promotions, as upstream sends."""
    rng = random.Random(7)
    events, scores, promotions = (s.name(prefix) for s in (LEAD_EVENTS, LEAD_SCORES, PROMOTIONS))
    for n in range(leads):
        lead = _lead(n, rng)
        key = lead["lead_id"].encode()
        for k in range(events_per_lead):
            at = lead["seen"] + timedelta(hours=k)
            body = {"lead_id": lead["lead_id"], "event": _event(lead, k, at)}
            yield events, key, orjson.dumps(body)
            if k % 3 == 0:
                score = {
                    "lead_id": lead["lead_id"], "score": lead["score"] * (k + 1) / events_per_lead,
                    "previous_score": 0.0, "tier": lead["tier"], "rule_version": "bench",
                    "event_id": body["event"]["event_id"], "occurred_at": at.isoformat(),
                    "contributions": {"page_viewed": lead["score"]},
                }  # fmt: skip
                yield scores, key, orjson.dumps(score)
        for rank in range(1, lead["rank"] + 1):
            promotion = {
                "kind": "lead_promoted", "promotion_id": f"{lead['lead_id']}-p{rank}",
                "lead_id": lead["lead_id"], "from_tier": TIERS[rank - 1], "to_tier": TIERS[rank],
                "score": lead["score"], "rule_version": "bench", "reasons": ["bench"],
                "trigger_event_id": f"{lead['lead_id']}-e0",
                "occurred_at": (lead["seen"] + timedelta(days=3 * rank)).isoformat(),
            }  # fmt: skip
            yield promotions, key, orjson.dumps(promotion)


async def publish(settings: Settings, messages: Iterator[tuple[str, bytes, bytes]]) -> int:
    """Publish as fast as aiokafka batches allow; returns the message count."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, linger_ms=20, max_batch_size=1 << 20
    )
    await producer.start()
    count, pending = 0, []
    try:
        for topic, key, value in messages:
            pending.append(await producer.send(topic, value, key=key))
            count += 1
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return count


async def projector_phase(
    settings: Settings, admin: Any, args: argparse.Namespace
) -> dict[str, float]:
    """Project freshly published messages; then COPY the same timeline rows for comparison."""
    messages = contract_messages(args.projector_leads, args.events_per_lead, settings.topic_prefix)
    published = await publish(settings, messages)
    schema, copy_schema = settings.funnel_schema, f"{settings.funnel_schema}_copy"
    await clone_schema(admin, "funnel", schema)
    await clone_schema(admin, "funnel", copy_schema)
    projector = Projector(projector_config(settings))
    await projector.start()
    started = time.perf_counter()
    try:
        await projector.catch_up(progress=lambda done, total: None)
    finally:
        await projector.stop()
    projector_seconds = time.perf_counter() - started
    rows = sum(
        sample.value
        for metric in telemetry.ROWS_WRITTEN.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels["projector"] == schema
    )
    timeline = await admin.fetch(f"SELECT * FROM {schema}.lead_events")
    started = time.perf_counter()
    await admin.copy_records_to_table(
        "lead_events", schema_name=copy_schema, records=[tuple(r.values()) for r in timeline]
    )
    copy_seconds = time.perf_counter() - started
    return {
        "messages": published,
        "projector_seconds": projector_seconds,
        "messages_per_s": published / projector_seconds,
        "rows": rows,
        "rows_per_s": rows / projector_seconds,
        "copy_rows": len(timeline),
        "copy_rows_per_s": len(timeline) / copy_seconds,
    }


def _scale_rows(
    n: int, rng: random.Random, events_per_lead: int
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One lead's rows: the lead, its timeline, its tier transitions, its opportunity's stays."""
    lead = _lead(n, rng)
    lead_id, seen, rank = lead["lead_id"], lead["seen"], lead["rank"]
    reached = [seen + timedelta(days=3 * r) if r <= rank else None for r in (1, 2, 3)]
    events = [
        (f"{lead_id}-e{k}", lead_id, "page_viewed", lead["channel"], lead["campaign"],
         seen + timedelta(hours=7 * k), '{"url": "/pricing", "dwell_seconds": 30}')
        for k in range(events_per_lead)
    ]  # fmt: skip
    transitions = [
        (f"{lead_id}-p{r}", lead_id, "promoted", TIERS[r - 1], TIERS[r], lead["score"], "bench",
         ["bench"], f"{lead_id}-e0", reached[r - 1])
        for r in range(1, rank + 1)
    ]  # fmt: skip
    stays, won_at, lost_at = [], None, None
    if rank >= 2:
        at, depth = seen + timedelta(days=7), rng.randint(1, len(STAGES))
        for seq, stage in enumerate(STAGES[:depth]):
            exit_at = at + timedelta(days=rng.random() * 10)
            last = seq == depth - 1
            outcome = rng.choice(("won", "lost", None)) if last else "advanced"
            stays.append(
                (f"opp-{n}", seq, lead_id, stage, at, f"{lead_id}-s{seq}",
                 exit_at if outcome else None, None, outcome,
                 "price" if outcome == "lost" else None, f"rep-{n % 30}", 10_000.0, "CNY")
            )  # fmt: skip
            won_at = exit_at if outcome == "won" else None
            lost_at = exit_at if outcome == "lost" else None
            at = exit_at
    last_activity = events[-1][5] if events else seen
    row = (
        lead_id, lead["tier"], lead["score"], "bench", '{"page_viewed": 10}', f"{lead_id}-e0",
        seen, n, seen, f"{lead_id}-e0", lead["channel"], lead["campaign"], last_activity, None,
        f"rep-{n % 30}", seen, f"{lead_id}-e0", *reached, won_at, lost_at,
    )  # fmt: skip
    return row, events, transitions, stays


LEAD_COPY = (
    "lead_id", "tier", "score", "rule_version", "contributions", "score_event_id",
    "score_changed_at", "score_offset", "first_seen_at", "first_event_id", "first_channel",
    "first_campaign", "last_activity_at", "last_effective_contact_at", "owner",
    "owner_changed_at", "owner_event_id", "mql_at", "sql_at", "opportunity_at", "won_at",
    "lost_at",
)  # fmt: skip


STAY_COPY = (
    "opportunity_id",
    "seq",
    "lead_id",
    "stage",
    "entered_at",
    "entered_event_id",
    "exited_at",
    "next_stage",
    "outcome",
    "lost_reason",
    "owner",
    "amount",
    "currency",
)  # fmt: skip  (stay_us is generated)


async def load_at_scale(admin: Any, schema: str, leads: int, events_per_lead: int) -> float:
    """COPY generated read-model rows straight into a fresh schema; returns seconds taken."""
    started, rng = time.perf_counter(), random.Random(11)
    await clone_schema(admin, "funnel", schema, secondary_indexes=False)
    chunk = max(1, 200_000 // max(1, events_per_lead))
    for first in range(0, leads, chunk):
        parts = [
            _scale_rows(n, rng, events_per_lead) for n in range(first, min(leads, first + chunk))
        ]
        for table, records, columns in (
            ("leads", [p[0] for p in parts], LEAD_COPY),
            ("lead_events", [e for p in parts for e in p[1]], None),
            ("tier_transitions", [t for p in parts for t in p[2]], None),
            ("stage_intervals", [s for p in parts for s in p[3]], STAY_COPY),
        ):
            await admin.copy_records_to_table(
                table, schema_name=schema, records=records, columns=columns
            )
        print(f"[bench] loaded {min(leads, first + chunk):,}/{leads:,} leads", file=sys.stderr)
    await create_secondary_indexes(admin, "funnel", schema)
    # what autovacuum does after a bulk load: statistics, and the visibility map index-only
    # scans need; then what the next checkpoint does: the load's gigabytes of dirty pages written
    # out now, not while the queries are timed (a system answering its dashboard has not just
    # bulk-loaded 10M rows)
    tables = ("leads", "lead_events", "tier_transitions", "stage_intervals")
    await admin.execute("VACUUM ANALYZE " + ", ".join(f"{schema}.{t}" for t in tables))
    try:
        await admin.execute("CHECKPOINT")
    except asyncpg.InsufficientPrivilegeError:  # neither superuser nor pg_checkpoint
        print("[bench] no CHECKPOINT privilege: queries may meet its writes", file=sys.stderr)
    return time.perf_counter() - started


MONTH, QUARTER = "from=2025-06-01&to=2025-07-01", "from=2025-04-01&to=2025-07-01"
STALE = "stale=true&as_of=2026-06-01T00:00:00Z"
QUERIES: tuple[tuple[str, str, int], ...] = (
    ("stages, one month", f"/v1/funnel/stages?{MONTH}", 1),
    ("stages by channel, a quarter", f"/v1/funnel/stages?{QUARTER}&group_by=channel", 1),
    ("tiers by channel, one month", f"/v1/funnel/tiers?{MONTH}&group_by=channel", 1),
    ("tiers by month, whole year", "/v1/funnel/tiers?group_by=month", 10),
    ("sales cycle, whole year", "/v1/funnel/cycle", 1),
    ("leads tier=mql, first page", "/v1/leads?tier=mql&limit=50", 1),
    ("leads wechat + stale", f"/v1/leads?channel=wechat&{STALE}&limit=50", 1),
    ("leads score 40-60", "/v1/leads?score_min=40&score_max=60&limit=50", 1),
    ("lead detail", "/v1/leads/lead-{n}", 1),
)  # (name, path, weight): heavy whole-year queries run samples / weight times


# The dashboard's funnel page (services/dashboard/static/funnel.js) at its default, all time: at
# once the filter options and the KPI tiers, stage table, cycle and channel costs; as soon as the
# filter options are in, the six-month MQL→SQL trend for every channel and for all of them (the
# data's last six months).
TREND = "/v1/funnel/tiers?from=2025-07-01&group_by=month"
TABLES: tuple[str, ...] = (
    "/v1/funnel/tiers",
    "/v1/funnel/stages",
    "/v1/funnel/cycle",
    "/v1/funnel/costs",
)
TRENDS: tuple[str, ...] = (TREND, *(f"{TREND}&channel={channel}" for channel in CHANNELS))
# The funnel queries again, the first way (every row of the period loaded into the pure
# functions, funnel/store/reference.py): (name, function, period, group_by, runs)
A_MONTH = Period(datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))
A_QUARTER = Period(datetime(2025, 4, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))
REFERENCE: tuple[tuple[str, str, Period | None, GroupBy | None, int], ...] = (
    ("stages, one month", "stage_tables", A_MONTH, None, 3),
    ("stages by channel, a quarter", "stage_tables", A_QUARTER, "channel", 3),
    ("tiers by channel, one month", "tier_funnel_rows", A_MONTH, "channel", 3),
    ("tiers by month, whole year", "tier_funnel_rows", None, "month", 1),
    ("sales cycle, whole year", "sales_cycle_rows", None, None, 3),
)


def p95(values: list[float]) -> float:
    """95th percentile by nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


async def query_phase(
    settings: Settings, samples: int, leads: int
) -> list[tuple[str, float, float, int]]:
    """p50 and p95 (ms) of each query through the whole app, in process."""
    app = create_app(settings)
    results, pick = [], random.Random(3)
    headers = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, path, weight in QUERIES:
                runs, timings = max(3, samples // weight), []
                for _ in range(runs):
                    target = path.format(n=pick.randrange(leads))
                    started = time.perf_counter()
                    answer = await client.get(target, headers=headers)
                    timings.append((time.perf_counter() - started) * 1000)
                    answer.raise_for_status()
                results.append((name, statistics.median(timings), p95(timings), runs))
            pages = []

            async def filters_then_trends() -> list[httpx.Response]:
                (await client.get("/v1/dashboard/filters", headers=headers)).raise_for_status()
                return list(await asyncio.gather(*(client.get(p, headers=headers) for p in TRENDS)))

            for _ in range(max(3, samples // 4)):
                started = time.perf_counter()
                tables, trends = await asyncio.gather(
                    asyncio.gather(*(client.get(p, headers=headers) for p in TABLES)),
                    filters_then_trends(),
                )
                pages.append((time.perf_counter() - started) * 1000)
                for answer in (*tables, *trends):
                    answer.raise_for_status()
            results.append(
                ("dashboard funnel page", statistics.median(pages), p95(pages), len(pages))
            )
    return results


async def reference_phase(settings: Settings) -> dict[str, float]:
    """Median ms of each funnel query the first way, loading its rows into Python."""
    conn = await connect(settings.database_url, settings.funnel_schema)
    medians = {}
    try:
        for name, function, period, group_by, runs in REFERENCE:
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                args = (period, Segment()) + ((group_by,) if function != "sales_cycle_rows" else ())
                await getattr(reference, function)(conn, *args)
                timings.append((time.perf_counter() - started) * 1000)
            medians[name] = statistics.median(timings)
    finally:
        await conn.close()
    return medians


def _delete_topics(settings: Settings) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        admin.delete_topics([spec.name(settings.topic_prefix) for spec in ALL_TOPICS])
    finally:
        admin.close()


async def run(args: argparse.Namespace) -> None:
    """Both phases on fresh topics and schemas, removed afterwards unless --keep."""
    token = uuid.uuid4().hex[:8]
    base = Settings()
    settings = base.model_copy(
        update={"topic_prefix": f"bench.{token}.", "funnel_schema": f"bench_{token}"}
    )
    ensure_topics(base.kafka_bootstrap, ALL_TOPICS, settings.topic_prefix, 4, 1)
    apply_migrations(base.database_url)
    admin = await connect(base.database_url, "public")
    scale_schema = f"bench_{token}_scale"
    try:
        projected = await projector_phase(settings, admin, args)
        load_seconds = await load_at_scale(admin, scale_schema, args.leads, args.events_per_lead)
        scaled = settings.model_copy(update={"funnel_schema": scale_schema})
        timings = await query_phase(scaled, args.samples, args.leads)
        before = {} if args.no_reference else await reference_phase(scaled)
    finally:
        if not args.keep:
            for schema in (settings.funnel_schema, f"{settings.funnel_schema}_copy", scale_schema):
                await drop_schema(admin, schema)
            _delete_topics(settings)
        await admin.close()
    report(args, projected, load_seconds, timings, before)


def report(
    args: argparse.Namespace,
    projected: dict[str, float],
    load_seconds: float,
    timings: list[tuple[str, float, float, int]],
    before: dict[str, float],
) -> None:
    """Markdown tables, ready for docs/benchmarks.md."""
    p = projected
    ratio = p["rows_per_s"] / p["copy_rows_per_s"]
    print(f"\n### Projector: {args.projector_leads:,} leads, {p['messages']:,.0f} messages\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| messages projected / s | {p['messages_per_s']:,.0f} |")
    print(f"| rows written / s (all tables) | {p['rows_per_s']:,.0f} ({p['rows']:,.0f} rows) |")
    copied = f"{p['copy_rows_per_s']:,.0f} ({p['copy_rows']:,} rows)"
    print(f"| plain COPY into lead_events, rows / s | {copied} |")
    print(f"| projector ÷ COPY | {ratio:.2f} |")
    events = args.leads * args.events_per_lead
    scale = f"{args.leads:,} leads / {events:,} events"
    print(f"\n### Queries at {scale} (loaded in {load_seconds:.0f} s)\n")
    print("| query | p50 ms | p95 ms | runs | loading the rows into Python, p50 ms | ÷ |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, median, high, runs in timings:
        old = before.get(name)
        then = f"{old:,.0f} | {old / median:.1f}" if old else " | "
        print(f"| {name} | {median:.1f} | {high:.1f} | {runs} | {then} |")


def main(argv: list[str]) -> int:
    """`python -m bench funnel [--leads N] [--events-per-lead N] [--projector-leads N] …`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench funnel", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--leads", type=int, default=100_000, help="leads for the query phase")
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument(
        "--projector-leads", type=int, default=10_000, help="leads projected via Kafka"
    )
    parser.add_argument("--samples", type=int, default=50, help="runs per query")
    parser.add_argument("--keep", action="store_true", help="keep the topics and schemas")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip timing the load-every-row path"
    )
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

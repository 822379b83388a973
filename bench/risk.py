"""Churn-risk reads at scale: the deals open now scored from every stay vs from the open deals'
stays and the stage norms aggregated in PostgreSQL. `python -m bench risk --help`.

Loads `--leads` generated leads (the funnel benchmark's loader, `bench.funnel.load_at_scale`)
into a fresh schema, then times, each in one repeatable-read transaction like the at-risk list:
the first way (every stay loaded into Python, the norms computed there: what the at-risk list,
the weekly to-dos and the alerts' risk check did before) and the open way
(`forecast.store.load_open`), both up to the features of every open deal (`open_snapshots`,
what `assess` scores), and checks they give the same features.

Then, with a model of fixed coefficients (the cost does not depend on them), what each read of
the API costs: the at-risk list scored now (every open deal assessed: what it does without a
recent check), the alerts worker's check writing the scores (`forecast.scores.save_scores`),
the at-risk list read from them (`scored_page`: a manager's default page, a rep's), one lead's
risk (its own open deals scored now), the stage norms at a past cut-off, and one rep's deals at
risk at a week's start (what its to-do list reads).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from bench.funnel import load_at_scale
from forecast.model.assess import Assessment, assess
from forecast.model.features import FEATURES, History, Snapshot, open_snapshots
from forecast.model.logistic import RiskModel
from forecast.scores import save_scores, scored_page
from forecast.store import deals_at_risk, lead_owners, load_open, save_model
from funnel.projector import connect
from funnel.projector.rebuild import drop_schema
from funnel.store import risk_reads
from runtime.migrations import apply_migrations
from services.settings import Settings


async def first_way(conn: Any, schema: str, at: datetime) -> list[Snapshot]:
    """Before: every stay, the open deals' leads' contacts and activity, norms in Python."""
    stays = tuple(await risk_reads.every_stay(conn, schema))
    leads = sorted({s.lead_id for s in stays if s.lead_id and s.exited_at is None})
    contacts = tuple(await risk_reads.contacts(conn, schema, leads))
    activity = await risk_reads.activity(conn, schema, leads)
    return open_snapshots(History(stays, contacts, activity), at)


async def open_way(conn: Any, schema: str, at: datetime) -> list[Snapshot]:
    """Now: the open deals' stays and the norms aggregated in PostgreSQL."""
    return open_snapshots(await load_open(conn, schema, at), at)


async def timed(conn: Any, schema: str, at: datetime, way: Any) -> tuple[float, list[Snapshot]]:
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        started = time.perf_counter()
        shots = await way(conn, schema, at)
        return (time.perf_counter() - started) * 1000, shots


def fixed_model(at: datetime) -> RiskModel:
    """A model to time with: every feature weighs the same."""
    n = len(FEATURES)
    return RiskModel(
        "bench", at, 30.0, FEATURES, (0.0,) * n, (1.0,) * n, (0.3,) * n, intercept=-2.0
    )


async def reads(conn: Any, schema: str, at: datetime, samples: int) -> dict[str, float]:
    """Median ms of each read the risk API and the check make (rows of the alerts schema's
    tables under this schema's name, deleted afterwards)."""
    model, took = fixed_model(at), defaultdict(list)

    async def clock(name: str, work: Any) -> Any:
        started = time.perf_counter()
        result = await work
        took[name].append((time.perf_counter() - started) * 1000)
        return result

    async def scored_now(lead_ids: list[str] | None) -> list[Assessment]:
        return assess(model, await load_open(conn, schema, at, lead_ids), at)

    week_start = at - timedelta(days=7)  # a past cut-off, as a week's to-do list has
    await save_model(conn, model, schema)  # what `deals_at_risk` reads
    try:
        for _ in range(samples):
            norms = risk_reads.stage_norms(conn, schema, week_start)
            await clock("the stage norms at a past cut-off (a week before)", norms)
            assessed = await clock("the at-risk list scored now", scored_now(None))
            owners = await lead_owners(conn, schema, assessed)
            async with conn.transaction():
                saved = save_scores(conn, schema, at, model, assessed, owners)
                await clock("the check writing the scores", saved)
            page = scored_page(conn, "alerts", schema, 0.7, 0.7, None, 50)
            await clock("the at-risk list from the stored check (default page)", page)
            owner = next(a.snapshot.owner for a in assessed if a.snapshot.owner)
            page = scored_page(conn, "alerts", schema, 0.7, 0.0, owner, 200)
            await clock("a rep's at-risk list from the stored check (200 deals)", page)
            lead = [assessed[len(assessed) // 2].snapshot.lead_id or ""]
            await clock("one lead's risk, scored now", scored_now(lead))
            risks = deals_at_risk(conn, schema, week_start, 0.7, owner)
            await clock("a rep's deals at risk at the week's start (its to-do list)", risks)
    finally:
        await conn.execute("DELETE FROM public.risk_models WHERE source = $1", schema)
        await conn.execute("DELETE FROM alerts.risk_scores WHERE source = $1", schema)
        await conn.execute("DELETE FROM alerts.risk_checks WHERE source = $1", schema)
    return {name: statistics.median(ms) for name, ms in took.items()}


async def run(args: argparse.Namespace) -> None:
    settings = Settings()
    apply_migrations(settings.database_url)
    schema = f"bench_risk_{uuid.uuid4().hex[:8]}"
    admin = await connect(settings.database_url, "public")
    try:
        seconds = await load_at_scale(admin, schema, args.leads, args.events_per_lead)
        stays = await admin.fetchval(f"SELECT count(*) FROM {schema}.stage_intervals")
        at = await admin.fetchval(  # just after the data's last fact, as scoring now is
            f"SELECT greatest(max(entered_at), max(exited_at)) + interval '1 second'"
            f" FROM {schema}.stage_intervals"
        )
        rows: dict[str, list[float]] = {"first way": [], "open way": []}
        answers: dict[str, list[Snapshot]] = {}
        for _ in range(args.samples):
            for name, way in (("first way", first_way), ("open way", open_way)):
                ms, answers[name] = await timed(admin, schema, at, way)
                rows[name].append(ms)
        assert answers["first way"] == answers["open way"], "the two ways disagree"
        await admin.execute("SET search_path = alerts, public")  # where the check writes
        api = await reads(admin, schema, at, args.samples)
    finally:
        await drop_schema(admin, schema)
        await admin.close()
    first, now = (statistics.median(rows[name]) for name in ("first way", "open way"))
    print(f"risk reads: {args.leads:,} leads, {stays:,} stays, loaded in {seconds:.0f} s")
    print("| measure | value |\n|---|---|")
    print(f"| open deals scored | {len(answers['open way']):,} |")
    print(f"| first way (every stay), median ms of {args.samples} | {first:,.0f} |")
    print(f"| open way (open deals' stays, norms in SQL), median ms | {now:,.0f} |")
    print(f"| open ÷ first | {now / first:.3f} |")
    for name, ms in api.items():
        print(f"| {name}, median ms | {ms:,.0f} |")
    stored = api["the at-risk list from the stored check (default page)"]
    ratio = stored / api["the at-risk list scored now"]
    print(f"| the stored default page ÷ the list scored now | {ratio:.5f} |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench risk", description=__doc__)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--events-per-lead", type=int, default=1)
    parser.add_argument("--samples", type=int, default=3)
    asyncio.run(run(parser.parse_args(argv)))
    return 0

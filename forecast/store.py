"""The risk model's history (read by funnel.store.risk_reads), its versions in risk_models."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from forecast.model.assess import Assessment, assess
from forecast.model.features import History, StageNorm
from forecast.model.logistic import RiskModel
from forecast.model.training import Plan, train
from funnel.model.rows import StageIntervalRow
from funnel.store import queries, risk_reads
from performance.model.todos import AtRisk

Connection = Any  # an asyncpg connection or pool (untyped)


async def load_history(conn: Connection, schema: str) -> History:
    """Every stay, and the communications and lead activity of every opportunity's lead: what
    training reads (examples at many past cut-offs)."""
    stays = tuple(await risk_reads.every_stay(conn, schema))
    return await _with_leads(conn, schema, stays)


async def load_open(
    conn: Connection,
    schema: str,
    at: datetime,
    lead_ids: list[str] | None = None,
    owner: str | None = None,
) -> History:
    """What scoring the opportunities open at `at` reads: their stays, their leads'
    communications and activity, and the stage norms as of `at` aggregated in PostgreSQL, not
    every stay of the funnel (`assess` on it equals `assess` on `load_history`). `lead_ids`,
    `owner`: only these leads' opportunities, or those `owner` may own
    (`risk_reads.stays_open_at`), each scored as among all."""
    stays = tuple(await risk_reads.stays_open_at(conn, schema, at, lead_ids, owner))
    norms = await risk_reads.stage_norms(conn, schema, at)
    return await _with_leads(conn, schema, stays, norms)


async def _with_leads(
    conn: Connection,
    schema: str,
    stays: tuple[StageIntervalRow, ...],
    norms: Mapping[str, StageNorm] | None = None,
) -> History:
    leads = sorted({st.lead_id for st in stays if st.lead_id})
    contacts = tuple(await risk_reads.contacts(conn, schema, leads))
    return History(stays, contacts, await risk_reads.activity(conn, schema, leads), norms)


async def save_model(conn: Connection, model: RiskModel, source: str) -> bool:
    """Store a trained version; False when that very version is stored already."""
    stored = await conn.fetchval(
        "INSERT INTO public.risk_models (version, source, trained_at, model)"
        " VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (version) DO NOTHING RETURNING version",
        model.version,
        source,
        model.trained_at,
        orjson.dumps(model.to_json()).decode(),
    )
    return stored is not None


async def latest_model(conn: Connection, source: str) -> RiskModel | None:
    """The newest model trained on the funnel schema `source`, or None before any training."""
    data = await conn.fetchval(
        "SELECT model FROM public.risk_models WHERE source = $1"
        " ORDER BY trained_at DESC, version DESC LIMIT 1",
        source,
    )
    return None if data is None else RiskModel.from_json(orjson.loads(data))


async def retrain(
    conn: Connection, source: str, plan: Plan, end: datetime, trained_at: datetime
) -> RiskModel:
    """Train on the read models of the funnel schema `source` and store the new version;
    TrainingError when the history cannot train one."""
    model = train(await load_history(conn, source), end, trained_at, plan)
    await save_model(conn, model, source)
    return model


async def lead_owners(conn: Connection, schema: str, assessed: list[Assessment]) -> dict[str, str]:
    """The owners of the assessed deals' leads (those that have one)."""
    leads = sorted({a.snapshot.lead_id for a in assessed if a.snapshot.lead_id})
    return await queries.lead_owners(conn, schema, leads)


async def deals_at_risk(
    conn: Connection, schema: str, at: datetime, bar: float, owner: str | None = None
) -> dict[str, list[AtRisk]]:
    """Per owner, the open opportunities the newest model puts at or above the bar at `at`
    (none before a model is trained): a source of the weekly to-do lists. `owner`: that owner's
    alone (only its deals are scored: one rep's list at 1M leads is a few hundred ms, not 7 s)."""
    model = await latest_model(conn, schema)
    if model is None:
        return {}
    history = await load_open(conn, schema, at, owner=owner)
    assessed = await asyncio.to_thread(assess, model, history, at)  # seconds at 1M: off the loop
    risky = [a for a in assessed if a.is_at_risk(bar)]
    owners = await lead_owners(conn, schema, risky)
    found: dict[str, list[AtRisk]] = defaultdict(list)
    for a in risky:
        shot, who = a.snapshot, a.owner(owners)
        if who and owner in (None, who):
            reasons = tuple(reason.text for reason in a.reasons)
            found[who].append(AtRisk(shot.opportunity_id, shot.lead_id, a.risk, reasons))
    return dict(found)

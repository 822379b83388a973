"""The periodic churn-risk check: score the open deals, store the scores for the at-risk list,
alert each deal once per crossing of the bar."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from alerts.worker import outbox_store
from alerts.worker.config import ChecksConfig
from forecast.model.alerts import crossings
from forecast.model.assess import assess
from forecast.scores import save_scores
from forecast.store import latest_model, lead_owners, load_open
from schemas.outgoing import Alert

log = logging.getLogger("alerts.risk")
Connection = outbox_store.Connection


async def run_risk_check(conn: Connection, config: ChecksConfig, at: datetime) -> list[Alert]:
    """Score every deal open at `at` with the newest model; returns the alerts newly raised.

    The scores (what the at-risk list reads), the crossings, their alerts and the ended
    crossings commit in one transaction; a second worker checking at once inserts no crossing
    the first did, so raises nothing twice.
    """
    async with conn.transaction():
        model = await latest_model(conn, config.funnel_schema)
        if model is None:
            return []
        history = await load_open(conn, config.funnel_schema, at)
        rows = await conn.fetch("SELECT opportunity_id, crossed_at FROM risk_crossings")
        # every open deal's features and risk: seconds of pure Python at 1M leads, in a thread
        # so the detector's heartbeats and its relay are not held behind them
        assessed = await asyncio.to_thread(assess, model, history, at)
        owners = await lead_owners(conn, config.funnel_schema, assessed)
        await save_scores(conn, config.funnel_schema, at, model, assessed, owners)
        found = crossings(assessed, dict(rows), config.risk_alert_bar, at)
        await conn.execute(
            "DELETE FROM risk_crossings WHERE opportunity_id = ANY($1::text[])", list(found.ended)
        )
        started = {a.snapshot.opportunity_id: a for a in found.started}
        inserted = await conn.fetch(
            "INSERT INTO risk_crossings (opportunity_id, crossed_at, risk, model_version)"
            " SELECT x.id, $2, x.risk, $3 FROM unnest($1::text[], $4::float8[]) AS x(id, risk)"
            " ON CONFLICT (opportunity_id) DO NOTHING RETURNING opportunity_id",
            list(started),
            at,
            model.version,
            [a.risk for a in started.values()],
        )
        mine = {row["opportunity_id"] for row in inserted}
        fresh = await outbox_store.enqueue(conn, [a for a in found.alerts if a.subject in mine])
    if fresh or found.ended:
        log.info("risk check at %s: %d deal(s) crossed the bar, %d fell back", at, len(fresh),
                 len(found.ended))  # fmt: skip
    return fresh

"""The churn-risk check's scores, stored (migration 0019): each check replaces them whole, the
at-risk list reads one page of them instead of scoring every open deal per request."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from forecast.model.assess import Assessment, listed
from forecast.model.logistic import RiskModel
from funnel.store.queries import plain_schema

Connection = Any  # an asyncpg connection (untyped)
_COLUMNS = ("source", "opportunity_id", "rank", "lead_id", "owner", "risk", "shown_risk", "item")


@dataclass(frozen=True, slots=True)
class Check:
    """The newest stored check of one funnel schema."""

    as_of: datetime  # the moment its deals were scored at
    model_version: str
    horizon_days: float
    age_seconds: float  # since it committed, by the database's clock

    def serves(self, model: RiskModel, max_age_seconds: float) -> bool:
        """Whether the at-risk list may show this check: scored by the newest model, recent."""
        return self.model_version == model.version and self.age_seconds <= max_age_seconds


async def save_scores(
    conn: Connection,
    source: str,
    at: datetime,
    model: RiskModel,
    assessed: Sequence[Assessment],
    owners: Mapping[str, str],
) -> None:
    """Replace the stored scores of the funnel schema `source` by one check's, riskiest first
    as `assess` orders them (the tables on the connection's search path: the alerts schema);
    `owners`: the leads' owners at the check (a deal's own owner where its lead has none).

    Call it inside the check's transaction. Checks of one source write one after the other (a
    lock for the transaction), so each leaves a whole set, never a mix of two.
    """
    records = await asyncio.to_thread(_records, source, assessed, owners)  # 0.4 s at 1M leads
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"risk_scores:{source}")
    await conn.execute("DELETE FROM risk_scores WHERE source = $1", source)
    await conn.copy_records_to_table("risk_scores", records=records, columns=_COLUMNS)
    await conn.execute(
        "INSERT INTO risk_checks (source, as_of, checked_at, model_version, horizon_days)"
        " VALUES ($1, $2, now(), $3, $4) ON CONFLICT (source) DO UPDATE SET as_of = $2,"
        " checked_at = now(), model_version = $3, horizon_days = $4",
        source,
        at,
        model.version,
        model.horizon_days,
    )


def _records(
    source: str, assessed: Sequence[Assessment], owners: Mapping[str, str]
) -> list[tuple[Any, ...]]:
    records = []
    for rank, a in enumerate(assessed):
        item, shot = listed(a), a.snapshot
        row = (shot.opportunity_id, rank, shot.lead_id, a.owner(owners), a.risk, item["risk"])
        records.append((source, *row, orjson.dumps(item).decode()))
    return records


async def latest_check(conn: Connection, schema: str, source: str) -> Check | None:
    """The stored check of `source` in the alerts schema `schema`, or None before any."""
    row = await conn.fetchrow(
        "SELECT as_of, model_version, horizon_days,"
        " extract(epoch FROM clock_timestamp() - checked_at)::float8"
        f" FROM {plain_schema(schema)}.risk_checks WHERE source = $1",
        source,
    )
    return None if row is None else Check(*row)


async def scored_page(
    conn: Connection,
    schema: str,
    source: str,
    bar: float,
    floor: float,
    owner: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The stored deals of `source` still open whose shown risk reaches `floor`, riskiest
    first, as the at-risk list shows them: the lead's owner now, `at_risk` against `bar`.

    Since the check, a deal won or lost is left out, one opened waits for the next check.
    `owner`: the deals its leads had at the check and still have (a lead handed to another rep
    leaves this rep's list at once and joins the other's at the next check).
    """
    funnel = plain_schema(source)
    mine = "" if owner is None else " AND s.owner = $5 AND coalesce(l.owner, s.owner) = $5"
    rows = await conn.fetch(
        "SELECT s.item, coalesce(l.owner, s.owner), s.risk >= $2"
        f" FROM {plain_schema(schema)}.risk_scores s"
        f" LEFT JOIN {funnel}.leads l ON l.lead_id = s.lead_id"
        f" WHERE s.source = $1 AND s.shown_risk >= $3{mine}"
        f" AND EXISTS (SELECT FROM {funnel}.stage_intervals i"
        "   WHERE i.opportunity_id = s.opportunity_id AND i.exited_at IS NULL)"
        " ORDER BY s.rank LIMIT $4",
        source,
        bar,
        floor,
        limit,
        *(() if owner is None else (owner,)),
    )
    return [{**orjson.loads(item), "owner": who, "at_risk": hit} for item, who, hit in rows]

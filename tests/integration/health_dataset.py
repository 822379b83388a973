"""The hand-computed March 2024 data set of docs/metrics.md, written into funnel read models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

MARCH = "2024-03"


def at(month: int, day: int, hour: int = 0) -> datetime:
    """A moment in 2024 (UTC)."""
    return datetime(2024, month, day, hour, tzinfo=UTC)


def _leads() -> list[tuple[Any, ...]]:
    # (lead_id, first_seen_at, mql_at, sql_at)
    rows = [(f"m{k}", at(2, 20), at(3, 1 + k, 10), None) for k in range(9)]
    rows.append(("m9", at(3, 20), None, at(3, 25)))  # straight to SQL: MQL then too
    rows.append(("p", at(2, 1), at(2, 28), at(3, 2)))  # February's MQL
    rows.append(("q", at(3, 30), at(4, 1), None))  # April's MQL
    return rows


def _stays() -> list[tuple[Any, ...]]:
    # (opportunity, stage, entered, exited, next_stage, outcome, owner, amount)
    rows: list[tuple[Any, ...]] = []
    for days, won, amount in ((40, 20, 150_000.0), (50, 21, 100_000.0), (60, 22, 20_000.0)):
        rows.append((f"W{days}", "first_contact", at(3, won) - timedelta(days=days), at(3, won),
                     "won", "won", None, amount))  # fmt: skip
    rows.append(("W70", "first_contact", at(3, 23) - timedelta(days=70), at(3, 23), "won", "won",
                 None, None))  # fmt: skip
    rows.append(("WFEB", "first_contact", at(2, 10), at(2, 20), "won", "won", None, 500_000.0))
    rows.append(("WAPR", "contract_approval", at(3, 23), at(4, 2), "won", "won", None, 1.0))
    for k in range(10):  # demo stays due 5–14 March (SLA 14 days)
        entered = at(2, 20) + timedelta(days=k)
        stayed = 10 if k < 7 else 20 if k < 9 else None
        exited = entered + timedelta(days=stayed) if stayed else None
        rows.append((f"D{k}", "demo", entered, exited, exited and "quote_negotiation",
                     exited and "advanced", None, None))  # fmt: skip
    rows.append(("D10", "demo", at(3, 25), None, None, None, None, None))  # due in April
    return rows


async def write_march(conn: Any, schema: str) -> None:
    """Leads and stage stays of the worked example (10 % MQL→SQL, 55 days, 70 %, 66.7 %)."""
    await conn.executemany(
        f"INSERT INTO {schema}.leads (lead_id, first_seen_at, mql_at, sql_at)"
        " VALUES ($1, $2, $3, $4)",
        _leads(),
    )
    await write_stays(conn, schema, _stays())


async def write_stays(conn: Any, schema: str, stays: list[tuple[Any, ...]]) -> None:
    """Stage stays (opportunity, stage, entered, exited, next, outcome, owner, amount)."""
    await conn.executemany(
        f"INSERT INTO {schema}.stage_intervals (opportunity_id, seq, stage, entered_at,"
        " entered_event_id, exited_at, next_stage, outcome, owner, amount)"
        " VALUES ($1, 0, $2, $3, $1, $4, $5, $6, $7, $8)",
        stays,
    )


async def write_busy_owner(conn: Any, schema: str) -> None:
    """zhao: 40 March communications, 8 effective, 5 deals in first contact since February."""
    comms = [(f"z{k}", "zhao", k < 8, at(3, 1 + k % 28, 9)) for k in range(40)]
    comms += [(f"l{k}", "li", k < 20, at(3, 1 + k % 28, 9)) for k in range(30)]
    await conn.executemany(
        f"INSERT INTO {schema}.communications (communication_id, event_id, lead_id, kind, owner,"
        " is_effective, need_identified, next_step_agreed, referral_obtained, occurred_at)"
        " VALUES ($1, $1, 'x', 'call', $2, $3, false, $3, false, $4)",
        comms,
    )
    stuck = [(f"Z{k}", "first_contact", at(2, 1 + k), None, None, None, "zhao", None)
             for k in range(5)]  # fmt: skip
    await write_stays(conn, schema, stuck)

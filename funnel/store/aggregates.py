"""The funnel tables computed in PostgreSQL: GROUP BY twins of funnel/model/maths.py and tiers.py.

Only a few rows per group come back. Every number equals, bit for bit, what the pure functions
compute from the loaded rows (tests/integration/test_funnel_aggregates.py checks it on random
data), because each statistic is taken the way the pure function takes it:

- medians: both middle values by rank (`percentile_disc`), then `(low + high) / 2` in Python;
- p90: nearest rank, `percentile_disc(0.9)` is `ceil(0.9 · n)` in double precision too;
- means: `statistics.fmean` is `fsum(days) / n`, the exactly rounded sum of the rounded day
  values. Each day value is split into three integers that sum exactly in PostgreSQL;
- days: `extract(epoch …)` and the generated microsecond columns are exact, and their cast to
  double, / 86 400, rounds as `timedelta.total_seconds() / 86 400` does; percentiles rank the
  day values themselves (or whole microseconds, turned into days by `total_seconds()`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from funnel.model.maths import UNSPECIFIED_REASON, SalesCycleRow, StageRow
from funnel.model.periods import Period, days_in, ratio
from funnel.model.stages import DEFAULT_ORDER, Outcome, StageOrder
from funnel.model.tiers import ALL_GROUP, STEPS, UNKNOWN_GROUP, GroupBy, TierFunnelRow
from funnel.store.queries import Connection, Segment

T = TypeVar("T")

# percentile_disc(f) is the ceil(f·n)-th smallest value: 0.5 gives the lower middle and a
# fraction a hair above 0.5 the upper one (the (n//2 + 1)-th) for every n below 10^12.
MIDDLES = "ARRAY[0.5, 0.500000000001]::float8[]"
MIDDLES_AND_P90 = "ARRAY[0.5, 0.500000000001, 0.9]::float8[]"
# x = hi/2^24 + mid/2^57 + lo/2^90 exactly, for any day value of a whole number of microseconds
# (|x| >= 2^-38 or 0, |x| < 2^39): three int8 sums make the exact sum of the doubles.
_SPLIT = (24, 33, 33)


def _exact_sum_sql(x: str) -> str:
    """Three int8 sums whose weighted total is the exact sum of the float8 values `x`."""
    hi = f"({x}) * {2.0 ** _SPLIT[0]!r}"
    frac = f"(({hi}) - trunc({hi}))"
    mid = f"{frac} * {2.0 ** _SPLIT[1]!r}"
    rest = f"((({mid}) - trunc({mid})) * {2.0 ** _SPLIT[2]!r})"
    return f"sum(trunc({hi})::int8), sum(trunc({mid})::int8), sum({rest}::int8)"


def _fsum(hi: Any, mid: Any, lo: Any) -> float:
    """math.fsum of the values the three sums of `_exact_sum_sql` came from."""
    total = (int(hi) << (_SPLIT[1] + _SPLIT[2])) + (int(mid) << _SPLIT[2]) + int(lo)
    return math.ldexp(float(total), -sum(_SPLIT))  # float(int) rounds exactly, like fsum


def _mean(n: int, hi: Any, mid: Any, lo: Any) -> float | None:
    return _fsum(hi, mid, lo) / n if n else None


def _median(n: int, middles: Sequence[float] | None) -> float | None:
    if not n or middles is None:
        return None
    low, high = middles[0], middles[1]
    return low if n % 2 else (low + high) / 2  # as statistics.median


def _days_of(microseconds: Sequence[int] | None) -> list[float] | None:
    return (
        None
        if microseconds is None
        else [days_in(timedelta(microseconds=us)) for us in microseconds]
    )


def _days_sql(start: str, end: str) -> str:
    return f"extract(epoch FROM {end} - {start})::float8 / 86400.0"


def _in_period(at: str) -> str:
    return f"($1::timestamptz IS NULL OR {at} >= $1) AND ($2::timestamptz IS NULL OR {at} < $2)"


def _args(period: Period | None, segment: Segment) -> tuple[str, list[Any]]:
    """The segment's clauses on the lead `l` ($3 on), and every argument, period first."""
    clauses = ""
    args: list[Any] = [None, None] if period is None else [period.start, period.end]
    for column, value in (("first_channel", segment.channel), ("first_campaign", segment.campaign)):
        if value is not None:
            args.append(value)
            clauses += f" AND l.{column} = ${len(args)}"
    return clauses, args


def _group_sql(group_by: GroupBy | None, at: str) -> str:
    match group_by:
        case "channel":
            return f"coalesce(nullif(l.first_channel, ''), '{UNKNOWN_GROUP}')"
        case "campaign":
            return f"coalesce(nullif(l.first_campaign, ''), '{UNKNOWN_GROUP}')"
        case "month":
            return f"date_trunc('month', {at} AT TIME ZONE 'UTC')"
    return f"'{ALL_GROUP}'"


def _group_name(value: str | datetime) -> str:
    return value.strftime("%Y-%m") if isinstance(value, datetime) else value


# A cohort of a year sorts hundreds of thousands of values: in memory rather than in temporary
# files, without JIT compilation (it costs more than these plans run), and with index pages
# priced as the cached pages they are, so cohorts are read from the covering indexes.
_SESSION = "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL random_page_cost = 1.1"


async def _fetch(conn: Connection, *queries: tuple[str, list[Any]]) -> list[list[Any]]:
    """Each query's rows, read in one read-only snapshot on one connection of the pool."""

    async def each(held: Connection) -> list[list[Any]]:
        return [await held.fetch(sql, *args) for sql, args in queries]

    return await _in_snapshot(conn, each)


async def _in_snapshot(conn: Connection, read: Callable[[Connection], Awaitable[T]]) -> T:
    """`read` on one connection of the pool in one read-only repeatable-read transaction, so
    queries that depend on each other's answers see the same state of the read models."""
    if hasattr(conn, "acquire"):  # a pool
        async with conn.acquire() as held:
            return await _in_snapshot(held, read)
    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        await conn.execute(_SESSION)
        return await read(conn)


# --- the tier funnel ---------------------------------------------------------------------------

# a lead's microseconds from each step to the next (migration 0006), null where not reached
_GAPS = tuple(f"l.{step.value}_gap_us" for step in STEPS[1:])


def _middles(gap: str, medians: bool) -> str:
    """Both middle values of a gap column, or nothing when only counts are asked for."""
    if not medians:
        return "NULL::float8[]"  # no sort of the cohort's gaps
    return f"percentile_disc({MIDDLES}) WITHIN GROUP (ORDER BY {gap})"


def _tier_sql(group_by: GroupBy | None, where: str, medians: bool = True) -> str:
    cells = "count(*) AS leads, " + ", ".join(
        f"count({gap}), {_middles(gap, medians)}" for gap in _GAPS
    )
    cohort = f"FROM leads l WHERE l.first_seen_at IS NOT NULL AND {where}"
    if group_by != "month":
        return (
            f"SELECT {_group_sql(group_by, 'l.first_seen_at')} AS grp, {cells} {cohort} GROUP BY 1"
        )
    # one range of the first-seen index per calendar month, rather than sorting a year by month
    start, end = "m.month AT TIME ZONE 'UTC'", "(m.month + interval '1 month') AT TIME ZONE 'UTC'"
    return (
        f"WITH span AS (SELECT min(l.first_seen_at) AS first, max(l.first_seen_at) AS last"
        f" {cohort})"
        " SELECT m.month, c.* FROM span, generate_series(date_trunc('month', span.first AT TIME"
        " ZONE 'UTC'), span.last AT TIME ZONE 'UTC', interval '1 month') AS m(month)"
        f" CROSS JOIN LATERAL (SELECT {cells} {cohort} AND l.first_seen_at >= {start}"
        f" AND l.first_seen_at < {end}) c WHERE c.leads > 0"
    )


async def tier_funnel_rows(
    conn: Connection,
    period: Period | None,
    segment: Segment,
    group_by: GroupBy | None,
    medians: bool = True,
) -> list[TierFunnelRow]:
    """`tier_funnel` over the leads first seen in the period, one row per group, sorted
    (`medians=False`: the counts and rates alone, the median days left None)."""
    in_segment, args = _args(period, segment)
    where = _in_period("l.first_seen_at") + in_segment
    (rows,) = await _fetch(conn, (_tier_sql(group_by, where, medians), args))
    found = sorted((_group_name(row[0]), row) for row in rows)
    return [_tier_row(group, row) for group, row in found]


def _tier_row(group: str, row: Any) -> TierFunnelRow:
    counts = {STEPS[0]: row[1]}
    conversion, days = {}, {}
    for k in range(1, len(STEPS)):
        n, middles = row[2 * k], row[2 * k + 1]
        counts[STEPS[k]] = n
        conversion[STEPS[k]] = ratio(n, counts[STEPS[k - 1]])
        days[STEPS[k]] = _median(n, _days_of(middles))
    return TierFunnelRow(group, counts, conversion, days)


# --- the stage table ---------------------------------------------------------------------------

_OUTCOMES = (Outcome.ADVANCED, Outcome.WON, Outcome.LOST, Outcome.REGRESSED)
_STAYS = " FROM stage_intervals i LEFT JOIN leads l ON l.lead_id = i.lead_id WHERE "


def _stage_sql(group_by: GroupBy | None, where: str) -> str:
    outcomes = ", ".join(
        f"count(*) FILTER (WHERE stay_us IS NOT NULL AND outcome = '{o.value}')" for o in _OUTCOMES
    )
    # stay_us::float8 is exact below 2^53 µs; / 10^6 then / 86 400 rounds as total_seconds does
    return (
        f"SELECT grp, stage, count(*), count(stay_us), {outcomes}, {_exact_sum_sql('days')},"
        f" percentile_disc({MIDDLES_AND_P90}) WITHIN GROUP (ORDER BY days)"
        f" FROM (SELECT {_group_sql(group_by, 'i.entered_at')} AS grp, i.stage, i.stay_us,"
        f" i.outcome, i.stay_us::float8 / 1000000.0 / 86400.0 AS days{_STAYS}{where}"
        f" OFFSET 0) s GROUP BY grp, stage"  # OFFSET 0: each row's days computed once
    )


# All time, one group: counts and sums by hashing (no sort), then each stage's middle and p90
# stays by rank from `stage_intervals_by_length` (migration 0018): percentile_disc(f) is the
# ceil(f·n)-th smallest, so an index walk of that many entries finds it without sorting.
_ALL_TIME_COUNTS = (
    f"SELECT '{ALL_GROUP}', stage, count(*), count(stay_us), "
    + ", ".join(
        f"count(*) FILTER (WHERE stay_us IS NOT NULL AND outcome = '{o.value}')" for o in _OUTCOMES
    )
    + f", {_exact_sum_sql('stay_us::float8 / 1000000.0 / 86400.0')}"
    " FROM stage_intervals GROUP BY stage"
)
_BY_RANK = (
    "SELECT r.stage, r.k, (SELECT i.stay_us FROM {table} i"
    " WHERE i.stage = r.stage AND i.stay_us IS NOT NULL{until}"
    " ORDER BY i.stay_us OFFSET r.k - 1 LIMIT 1)"
    " FROM unnest($1::text[], $2::int8[]) AS r(stage, k)"
)
_RANKS = (0.5, 0.500000000001, 0.9)  # as MIDDLES_AND_P90


async def stays_at_ranks(
    conn: Connection,
    wanted: Sequence[tuple[str, int]],
    table: str = "stage_intervals",
    until: datetime | None = None,
) -> dict[tuple[str, int], int | None]:
    """Per (stage, k) the length in µs of the stage's k-th shortest ended stay (`until`: of
    those ended before it): an index-only walk of `stage_intervals_by_length` (migration
    0020) to that rank, no sort."""
    sql = _BY_RANK.format(table=table, until="" if until is None else " AND i.exited_at < $3")
    stages, ranks = [s for s, _ in wanted], [k for _, k in wanted]
    found = await conn.fetch(sql, stages, ranks, *(() if until is None else (until,)))
    return {(stage, k): us for stage, k, us in found}


async def _all_time_stays(conn: Connection) -> tuple[list[Any], list[Any]]:
    """`_stage_sql` and `_lost_reasons_sql` rows for all time and one group, without sorts."""
    counts = await conn.fetch(_ALL_TIME_COUNTS)
    wanted = [(row[1], math.ceil(f * row[3])) for row in counts if row[3] for f in _RANKS]
    found = await stays_at_ranks(conn, wanted)
    days = {key: us / 1000000.0 / 86400.0 for key, us in found.items() if us is not None}
    stats = [
        (*row, [days[(row[1], math.ceil(f * row[3]))] for f in _RANKS] if row[3] else None)
        for row in counts
    ]
    lost = await conn.fetch(_lost_reasons_sql(None, _in_period("i.entered_at")), None, None)
    return stats, lost


def _lost_reasons_sql(group_by: GroupBy | None, where: str) -> str:
    return (
        f"SELECT {_group_sql(group_by, 'i.entered_at')}, i.stage,"
        f" coalesce(nullif(i.lost_reason, ''), '{UNSPECIFIED_REASON}'), count(*){_STAYS}{where}"
        f" AND i.stay_us IS NOT NULL AND i.outcome = '{Outcome.LOST.value}' GROUP BY 1, 2, 3"
    )


async def stage_tables(
    conn: Connection,
    period: Period | None,
    segment: Segment,
    group_by: GroupBy | None,
    order: StageOrder = DEFAULT_ORDER,
    top_reasons: int = 3,
) -> list[tuple[str, list[StageRow]]]:
    """`stage_table` per group of the stays entered in the period; groups sorted, at least 'all'."""
    in_segment, args = _args(period, segment)
    where = _in_period("i.entered_at") + in_segment
    if period is None and group_by is None and not in_segment:
        stats, lost = await _in_snapshot(conn, _all_time_stays)
    else:
        stats, lost = await _fetch(
            conn, (_stage_sql(group_by, where), args), (_lost_reasons_sql(group_by, where), args)
        )
    cells = {(_group_name(row[0]), row[1]): row for row in stats}
    reasons: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for grp, stage, reason, count in lost:
        reasons[(_group_name(grp), stage)].append((reason, count))
    tables = []
    for group in sorted({group for group, _ in cells}) or [ALL_GROUP]:
        seen = {stage for g, stage in cells if g == group and not order.is_terminal(stage)}
        rows = []
        for key in (*order.open_keys, *sorted(seen - set(order.open_keys))):
            top = sorted(reasons[(group, key)], key=lambda kv: (-kv[1], kv[0]))[:top_reasons]
            rows.append(_stage_row(key, order.label_zh(key), cells.get((group, key)), top))
        tables.append((group, rows))
    return tables


def _stage_row(stage: str, label: str, cell: Any, top: list[tuple[str, int]]) -> StageRow:
    if cell is None:
        return StageRow(stage, label, 0, 0, 0, 0, 0, 0, 0, None, None, None, None, ())
    entered, exited, advanced, won, lost, regressed, hi, mid, lo, ranks = cell[2:]
    return StageRow(
        stage=stage,
        label_zh=label,
        entered=entered,
        exited=exited,
        still_in_stage=entered - exited,
        advanced=advanced,
        won=won,
        lost=lost,
        regressed=regressed,
        avg_days=_mean(exited, hi, mid, lo),
        median_days=_median(exited, ranks),
        p90_days=ranks[2] if exited else None,
        conversion_rate=ratio(advanced + won, exited),
        top_lost_reasons=tuple(top),
    )


# --- the sales cycle ---------------------------------------------------------------------------


def _cycle_sql(won_in_period: str, in_segment: str, deal_in_period: str) -> str:
    # A deal's first contact is its earliest entry up to the win: the earliest entry of all,
    # since the winning stay itself entered before it was won.
    deals = (
        "SELECT min(i.exited_at) FILTER (WHERE i.outcome = 'won') AS won_at,"
        f" min(i.entered_at) AS first_at{_STAYS}i.opportunity_id IN (SELECT w.opportunity_id"
        f" FROM stage_intervals w WHERE w.outcome = 'won' AND {won_in_period}){in_segment}"
        " GROUP BY i.opportunity_id"
    )
    return (
        f"SELECT date_trunc('month', won_at AT TIME ZONE 'UTC'), count(*),"
        f" {_exact_sum_sql('days')}, percentile_disc({MIDDLES}) WITHIN GROUP (ORDER BY days)"
        f" FROM (SELECT won_at, {_days_sql('first_at', 'won_at')} AS days FROM ({deals}) d"
        f" WHERE won_at IS NOT NULL AND {deal_in_period} OFFSET 0) d GROUP BY 1"
    )


async def sales_cycle_rows(
    conn: Connection, period: Period | None, segment: Segment
) -> list[SalesCycleRow]:
    """`sales_cycle` of `won_deals` for the opportunities won in the period, per month."""
    in_segment, args = _args(period, segment)
    sql = _cycle_sql(_in_period("w.exited_at"), in_segment, _in_period("won_at"))
    (rows,) = await _fetch(conn, (sql, args))
    cycle = [
        SalesCycleRow(_group_name(month), n, _mean(n, hi, mid, lo), _median(n, middles))
        for month, n, hi, mid, lo, middles in rows
    ]
    return sorted(cycle, key=lambda row: row.month)

"""The SQL funnel tables equal the pure functions' on random rows in a real PostgreSQL."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.model import features
from funnel.model.periods import Period, days_in
from funnel.model.stages import DEFAULT_ORDER, Outcome
from funnel.projector.rebuild import clone_schema, drop_schema
from funnel.store import aggregates, reference, risk_reads
from funnel.store.queries import Segment

pytestmark = pytest.mark.postgres

T0 = datetime(2025, 1, 20, tzinfo=UTC)
SPAN_US = 70 * 86_400 * 1_000_000  # three calendar months
LEAD_IDS = ["a", "b", "c", "d", "e"]
EARLIEST, LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)

# whole days make ties and even counts common; microseconds make the rounding of days bite
moment = st.one_of(
    st.integers(0, 70).map(lambda d: T0 + timedelta(days=d)),
    st.integers(0, SPAN_US).map(lambda us: T0 + timedelta(microseconds=us)),
)
maybe = st.none() | moment
duration = st.one_of(
    st.integers(0, 40).map(lambda d: timedelta(days=d)),
    st.integers(0, 40 * 86_400 * 1_000_000).map(lambda us: timedelta(microseconds=us)),
)
leads = st.lists(
    st.tuples(
        st.sampled_from(LEAD_IDS),
        maybe,  # first seen
        st.sampled_from([None, "", "wechat", "ads"]),
        st.sampled_from([None, "", "c1", "c2"]),
        maybe,  # mql
        maybe,  # sql
        maybe,  # opportunity
        maybe,  # won
    ),
    max_size=12,
    unique_by=lambda lead: lead[0],
)
stays = st.lists(
    st.tuples(
        st.sampled_from(["o1", "o2", "o3", "o4"]),
        st.sampled_from([None, *LEAD_IDS]),
        st.sampled_from([*DEFAULT_ORDER.open_keys, "won", "site_visit"]),
        moment,
        st.none() | duration,
        st.sampled_from([None, *(outcome.value for outcome in Outcome)]),
        st.sampled_from([None, "", "price", "timing"]),
    ),
    max_size=25,
)
periods = st.one_of(
    st.none(),
    st.tuples(moment, moment).map(lambda ab: Period(min(ab), max(ab))),
    moment.map(lambda a: Period(a, LATEST)),
    moment.map(lambda b: Period(EARLIEST, b)),
)
segments = st.builds(
    Segment, st.sampled_from([None, None, "wechat", ""]), st.sampled_from([None, None, "c1"])
)
group_bys = st.sampled_from([None, "channel", "campaign", "month"])


@pytest.fixture
async def schema(database_url: str, unique: str) -> AsyncIterator[tuple[str, str]]:
    """An empty read-model schema of this test's own."""
    name = f"funnel_agg{unique}"
    admin = await asyncpg.connect(database_url)
    try:
        await clone_schema(admin, "funnel", name)
        yield database_url, name
    finally:
        await drop_schema(admin, name)
        await admin.close()


async def _load(conn: Any, lead_rows: list[tuple[Any, ...]], stay_rows: list[Any]) -> None:
    # asyncpg's executemany of no rows leaves the extended protocol's implicit transaction open
    # (no Sync is sent), and the next BEGIN ISOLATION LEVEL then fails: so an empty table is
    # loaded by no statement at all.
    await conn.execute("TRUNCATE leads, stage_intervals")
    if lead_rows:
        await _insert_leads(conn, lead_rows)
    if stay_rows:
        await _insert_stays(conn, stay_rows)


async def _insert_leads(conn: Any, lead_rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(
        "INSERT INTO leads (lead_id, first_seen_at, first_channel, first_campaign, mql_at,"
        " sql_at, opportunity_at, won_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        lead_rows,
    )


async def _insert_stays(conn: Any, stay_rows: list[Any]) -> None:
    await conn.executemany(
        "INSERT INTO stage_intervals (opportunity_id, seq, lead_id, stage, entered_at,"
        " entered_event_id, exited_at, outcome, lost_reason)"
        " VALUES ($1, $2, $3, $4, $5, 'e', $6, $7, $8)",
        [
            (opp, seq, lead, stage, entered, None if length is None else entered + length,
             outcome, reason)
            for seq, (opp, lead, stage, entered, length, outcome, reason) in enumerate(stay_rows)
        ],
    )  # fmt: skip


async def _compare(conn: Any, period: Period | None, segment: Segment, group_by: Any) -> None:
    for name, by in (("stage_tables", group_by), ("tier_funnel_rows", group_by)):
        computed = await getattr(aggregates, name)(conn, period, segment, by)
        assert computed == await getattr(reference, name)(conn, period, segment, by), name
    cycle = await aggregates.sales_cycle_rows(conn, period, segment)
    assert cycle == await reference.sales_cycle_rows(conn, period, segment)


def test_sql_funnel_tables_equal_the_pure_functions_on_random_rows(
    schema: tuple[str, str],
) -> None:
    url, name = schema
    with asyncio.Runner() as runner:
        conn = runner.run(asyncpg.connect(url, server_settings={"search_path": name}))

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(leads, stays, periods, segments, group_bys)
        def check(
            lead_rows: list[Any], stay_rows: list[Any], period: Any, segment: Any, by: Any
        ) -> None:
            runner.run(_load(conn, lead_rows, stay_rows))
            runner.run(_compare(conn, period, segment, by))

        try:
            check()
        finally:
            runner.run(conn.close())


def test_the_all_time_stage_table_by_rank_equals_the_pure_function(
    schema: tuple[str, str],
) -> None:
    """The dashboard's default (all time, one group) takes its own sort-free path: rank walks of
    stage_intervals_by_length instead of percentile_disc; it must give the same table."""
    url, name = schema
    everyone = Segment(None, None)
    with asyncio.Runner() as runner:
        conn = runner.run(asyncpg.connect(url, server_settings={"search_path": name}))

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(leads, stays)
        def check(lead_rows: list[Any], stay_rows: list[Any]) -> None:
            runner.run(_load(conn, lead_rows, stay_rows))
            computed = runner.run(aggregates.stage_tables(conn, None, everyone, None))
            assert computed == runner.run(reference.stage_tables(conn, None, everyone, None))

        try:
            check()
            for until, args in (("", ()), (" AND i.exited_at < $3", (T0,))):  # now, or before
                by_rank = aggregates._BY_RANK.format(table="stage_intervals", until=until)
                plan = runner.run(conn.fetch("EXPLAIN " + by_rank, ["demo"], [1], *args))
                assert "stage_intervals_by_length" in "\n".join(row[0] for row in plan)
        finally:
            runner.run(conn.close())


def test_the_risk_reads_equal_the_pure_stage_norms_and_open_deals_on_random_rows(
    schema: tuple[str, str],
) -> None:
    """Scoring the deals open now reads their stays and the stage norms aggregated in SQL,
    instead of every stay: the same norms to the last bit, the same deals' stays."""
    url, name = schema
    with asyncio.Runner() as runner:
        conn = runner.run(asyncpg.connect(url, server_settings={"search_path": name}))

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(stays, moment)
        def check(stay_rows: list[Any], at: datetime) -> None:
            runner.run(_load(conn, [], stay_rows))
            every = runner.run(risk_reads.every_stay(conn, name))
            norms = runner.run(risk_reads.stage_norms(conn, name, at))
            assert norms == features.stage_norms(every, at)
            after_every_exit = T0 + timedelta(days=200)  # scoring now: the rank walks
            norms = runner.run(risk_reads.stage_norms(conn, name, after_every_exit))
            assert norms == features.stage_norms(every, after_every_exit)
            open_now = {s.opportunity_id for s in every if features.current_stay([s], at)}
            wanted = [s for s in every if s.opportunity_id in open_now]
            assert runner.run(risk_reads.stays_open_at(conn, name, at)) == wanted

        try:
            check()
        finally:
            runner.run(conn.close())


def test_day_sums_in_sql_round_exactly_like_fsum(database_url: str) -> None:
    days = st.integers(-(10**14), 10**14).map(lambda us: timedelta(microseconds=us))
    with asyncio.Runner() as runner:
        conn = runner.run(asyncpg.connect(database_url))

        @settings(max_examples=100, deadline=None)
        @given(st.lists(days, min_size=1, max_size=300))
        def check(durations: list[timedelta]) -> None:
            values = [days_in(duration) for duration in durations]
            sql = f"SELECT {aggregates._exact_sum_sql('x')} FROM unnest($1::float8[]) AS x"
            sums = runner.run(conn.fetchrow(sql, values))
            assert aggregates._fsum(*sums) == math.fsum(values)

        try:
            check()
        finally:
            runner.run(conn.close())

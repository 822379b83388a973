-- Microseconds from one funnel step to the next for every lead (funnel/tiers.py reach_times:
-- a step's time is the earliest of its own and every later step's), kept by PostgreSQL itself
-- (the projector never writes them); null when the step was not reached. The tier funnel
-- counts, sorts and medians these instead of re-deriving reach times on every row.
-- depends: 0005_stage_stay_microseconds

ALTER TABLE funnel.leads
    ADD COLUMN mql_gap_us bigint GENERATED ALWAYS AS
        ((extract(epoch FROM least(mql_at, sql_at, opportunity_at, won_at) - least(first_seen_at, mql_at, sql_at, opportunity_at, won_at)) * 1000000)::bigint) STORED,
    ADD COLUMN sql_gap_us bigint GENERATED ALWAYS AS
        ((extract(epoch FROM least(sql_at, opportunity_at, won_at) - least(mql_at, sql_at, opportunity_at, won_at)) * 1000000)::bigint) STORED,
    ADD COLUMN opportunity_gap_us bigint GENERATED ALWAYS AS
        ((extract(epoch FROM least(opportunity_at, won_at) - least(sql_at, opportunity_at, won_at)) * 1000000)::bigint) STORED,
    ADD COLUMN won_gap_us bigint GENERATED ALWAYS AS
        ((extract(epoch FROM won_at - least(opportunity_at, won_at)) * 1000000)::bigint) STORED;

DROP INDEX funnel.leads_by_first_seen;
CREATE INDEX leads_by_first_seen ON funnel.leads (first_seen_at)
    INCLUDE (first_channel, first_campaign, mql_gap_us, sql_gap_us, opportunity_gap_us,
             won_gap_us);

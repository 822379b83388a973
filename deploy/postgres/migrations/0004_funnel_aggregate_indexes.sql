-- The funnel routes aggregate in PostgreSQL (funnel/aggregates.py): their cohorts are range
-- scans on the reach and entry times, index-only when the index carries every column read.
-- depends: 0002_funnel_read_models

DROP INDEX funnel.leads_by_first_seen;
CREATE INDEX leads_by_first_seen ON funnel.leads (first_seen_at)
    INCLUDE (first_channel, first_campaign, mql_at, sql_at, opportunity_at, won_at);

DROP INDEX funnel.stage_intervals_by_entry;
CREATE INDEX stage_intervals_by_entry ON funnel.stage_intervals (entered_at)
    INCLUDE (stage, exited_at, outcome, lost_reason, lead_id);

-- the sales cycle starts from the opportunities won in the period
CREATE INDEX stage_intervals_won_by_exit ON funnel.stage_intervals (exited_at)
    INCLUDE (opportunity_id) WHERE outcome = 'won';

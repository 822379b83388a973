DROP INDEX funnel.leads_by_first_seen;
ALTER TABLE funnel.leads DROP COLUMN mql_gap_us, DROP COLUMN sql_gap_us,
    DROP COLUMN opportunity_gap_us, DROP COLUMN won_gap_us;
CREATE INDEX leads_by_first_seen ON funnel.leads (first_seen_at)
    INCLUDE (first_channel, first_campaign, mql_at, sql_at, opportunity_at, won_at);

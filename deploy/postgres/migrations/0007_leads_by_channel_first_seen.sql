-- The tier funnel of one channel (the dashboard's MQL→SQL trend asks for each channel in turn)
-- reads that channel's cohort alone, not every channel's in the period.
-- depends: 0006_lead_reach_gaps

CREATE INDEX leads_by_channel_first_seen ON funnel.leads (first_channel, first_seen_at)
    INCLUDE (first_campaign, mql_gap_us, sql_gap_us, opportunity_gap_us, won_gap_us);

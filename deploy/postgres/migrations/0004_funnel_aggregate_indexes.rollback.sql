DROP INDEX funnel.stage_intervals_won_by_exit;
DROP INDEX funnel.stage_intervals_by_entry;
CREATE INDEX stage_intervals_by_entry ON funnel.stage_intervals (entered_at);
DROP INDEX funnel.leads_by_first_seen;
CREATE INDEX leads_by_first_seen ON funnel.leads (first_seen_at);

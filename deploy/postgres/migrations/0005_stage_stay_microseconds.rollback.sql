DROP INDEX funnel.stage_intervals_by_entry;
ALTER TABLE funnel.stage_intervals DROP COLUMN stay_us;
CREATE INDEX stage_intervals_by_entry ON funnel.stage_intervals (entered_at)
    INCLUDE (stage, exited_at, outcome, lost_reason, lead_id);

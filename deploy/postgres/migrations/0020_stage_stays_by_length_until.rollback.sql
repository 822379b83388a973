DROP INDEX funnel.stage_intervals_by_length;
CREATE INDEX stage_intervals_by_length ON funnel.stage_intervals (stage, stay_us)
    WHERE stay_us IS NOT NULL;

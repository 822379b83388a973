-- A stay's length in whole microseconds, kept by PostgreSQL itself (the projector never writes
-- it): the stage table sorts and sums it instead of converting an interval on every row.
-- depends: 0004_funnel_aggregate_indexes

ALTER TABLE funnel.stage_intervals ADD COLUMN stay_us bigint
    GENERATED ALWAYS AS ((extract(epoch FROM exited_at - entered_at) * 1000000)::bigint) STORED;

DROP INDEX funnel.stage_intervals_by_entry;
CREATE INDEX stage_intervals_by_entry ON funnel.stage_intervals (entered_at)
    INCLUDE (stage, stay_us, outcome, lost_reason, lead_id);

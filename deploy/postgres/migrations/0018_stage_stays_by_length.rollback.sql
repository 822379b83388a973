DROP INDEX funnel.stage_intervals_by_length;
